"""The documents to sign, as one download: ``GET /runs/<run_id>/documents.zip``
("Tài liệu để ký (Word)").

The zip holds a folder per ward with the ward's list of assignments and one Giấy phân
công per new pair (:func:`matcher.io.documents.documents_zip`, default template). Access
is checked exactly as for the other downloads of a run (its owner or an admin, a finished
run; anything else is a 404) and each download is written to the audit log. The zip is
made from the run's own ``state.pickle`` (roster and plan, written by the worker) on the
first request and kept in the run's folder as ``documents.zip``.
"""

from __future__ import annotations

import io
import os
import pickle
import threading
from pathlib import Path

from flask import Blueprint, abort, current_app, send_file

from web import service
from web.auth import audit
from web.i18n import _
from web.runs import get_run_or_404

bp = Blueprint("documents", __name__)

FILE_NAME = "documents.zip"
_making = threading.Lock()


def documents_file(run_dir: Path) -> Path | None:
    """The run's documents zip, made once; None when the run keeps no roster and plan."""
    path = run_dir / FILE_NAME
    if path.is_file():
        return path
    state = run_dir / "state.pickle"
    if not state.is_file():
        return None
    with _making:
        if path.is_file():  # made by another request meanwhile
            return path
        # Inside the function: pages are served without python-docx and the library
        from matcher.io.documents import documents_zip

        with open(state, "rb") as fh:
            roster, plan = pickle.load(fh)  # the worker's own file, never user input
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(documents_zip(plan, roster))
        os.replace(tmp, path)
    return path


@bp.get("/runs/<int:run_id>/documents.zip")
def download(run_id: int):
    run = get_run_or_404(run_id)
    config = current_app.config
    if not service.has_plan(config, run):
        abort(404)
    path = documents_file(service.run_dir(config, run_id))
    if path is None:
        abort(404)
    audit("download", run_id=run_id, detail="kind=documents-zip")
    return send_file(io.BytesIO(path.read_bytes()), mimetype="application/zip", as_attachment=True,
                     download_name=_("file.documents", id=str(run_id)))
