"""Vietnamese and English interface text.

Every user-visible string of the web app is a key of the one message catalogue
(:mod:`matcher.catalog`, gettext files in ``matcher/locale``), looked up with :func:`_`
(also a template global). Vietnamese is the default; the header's switch
stores the choice in the session. Roster problems are not here: they come from the
library (``Issue.message(lang)``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import Flask, has_request_context, session

from matcher import catalog

LANGS = catalog.LANGS
DEFAULT_LANG = catalog.DEFAULT_LANG


def current_lang() -> str:
    if has_request_context():
        lang = session.get("lang")
        if lang in LANGS:
            return lang
    return DEFAULT_LANG


def gettext(msgid: str, lang: str | None = None, default: str | None = None,
            **params: Any) -> str:
    """The message ``msgid`` in ``lang`` (default: the session's), filled with ``params``.
    An unknown id gives ``default`` or, failing that, the id itself."""
    if not catalog.has(msgid):
        if default is not None:
            return default
        return catalog.text(msgid, lang)  # strict in the tests: a missing id fails them
    return catalog.text(msgid, lang if lang in LANGS else current_lang(), **params)


_ = gettext


def ngettext(msgid: str, n: int, lang: str | None = None, **params: Any) -> str:
    """The plural message ``msgid`` for the count ``n`` ("1 mentor", "19 mentors"; one
    form in Vietnamese), ``{n}`` written the language's way."""
    return catalog.ntext(msgid, int(n), lang if lang in LANGS else current_lang(), **params)


_n = ngettext


def _datetime(ts: float | None, seconds: bool = False) -> str:
    if ts is None:
        return ""
    fmt = "%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M"
    return dt.datetime.fromtimestamp(ts).strftime(fmt)


def _isodate(text: Any) -> str:
    """An ISO date (2026-12-01) as Vietnamese offices write it: 01/12/2026."""
    try:
        return dt.date.fromisoformat(str(text)[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return "" if text is None else str(text)


def _fromjson(text: str | None) -> Any:
    return json.loads(text) if text else None


def _num(value: Any, decimals: int | None = None) -> str:
    """A number as the session's language writes it: 12.345 and 1,4 (vi), 12,345 and 1.4
    (en); anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    return catalog.number(value, current_lang(), decimals)


def _pct(fraction: Any, decimals: int = 1) -> str:
    """A share (0.992) as a percentage in the session's language: 99,2 % (vi), 99.2% (en)."""
    if isinstance(fraction, bool) or not isinstance(fraction, int | float):
        return "" if fraction is None else str(fraction)
    return catalog.percent(fraction, current_lang(), decimals)


def _date(value: Any) -> str:
    """A date (or ISO text) the session's way: 06/12/2026 (vi), Dec 6, 2026 (en)."""
    return catalog.date(value, current_lang())


def init_app(app: Flask) -> None:
    app.jinja_env.globals["_"] = gettext
    app.jinja_env.globals["_n"] = ngettext
    app.jinja_env.filters["datetime"] = _datetime
    app.jinja_env.filters["isodate"] = _isodate
    app.jinja_env.filters["fromjson"] = _fromjson
    app.jinja_env.filters["num"] = _num
    app.jinja_env.filters["pct"] = _pct
    app.jinja_env.filters["date"] = _date
    app.context_processor(lambda: {"lang": current_lang()})
