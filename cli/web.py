"""``python run.py`` with no command: the web app on 127.0.0.1:5000.

``web.app`` (Flask, the database) is imported only here, when the server starts: the
other commands never pay for it.
"""

from __future__ import annotations

import importlib.util
import sys

from cli.base import DEFAULT_LANG, EXIT_FAILED, EXIT_OK, say


def start_web() -> int:
    """Serve the web app with waitress on 127.0.0.1:5000 (its start-up lines in
    Vietnamese, like the app's pages by default)."""
    try:
        found = importlib.util.find_spec("web.app") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        print(say("cli.web.not_installed", DEFAULT_LANG), file=sys.stderr)
        return EXIT_FAILED
    import web.app as web_app

    serve = getattr(web_app, "serve", None)
    if serve is not None:
        serve(host="127.0.0.1", port=5000)
        return EXIT_OK
    create_app = getattr(web_app, "create_app", None)
    if create_app is None:
        print(say("cli.web.not_installed", DEFAULT_LANG), file=sys.stderr)
        return EXIT_FAILED
    from waitress import serve as waitress_serve

    print(say("cli.web.serving", DEFAULT_LANG, url="http://127.0.0.1:5000"), file=sys.stderr)
    waitress_serve(create_app(), host="127.0.0.1", port=5000)
    return EXIT_OK
