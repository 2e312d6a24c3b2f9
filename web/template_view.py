"""The blank roster template download ("Tải tệp mẫu"): ``GET /template``.

The workbook comes from :func:`matcher.io.template.template_bytes` in the language of the
session (``?lang=vi|en`` picks one); it is the same for everybody, so it is built once per
language and process. Login is required, as for every page (``auth.require_login``).
"""

from __future__ import annotations

import io

from flask import Blueprint, request, send_file

from web.i18n import LANGS, _, current_lang

bp = Blueprint("template", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BUILT: dict[str, bytes] = {}


def _template(lang: str) -> bytes:
    if lang not in _BUILT:
        # Inside the function: pages are served without openpyxl and numpy (see web/README)
        from matcher.io.template import template_bytes

        _BUILT[lang] = template_bytes(lang)
    return _BUILT[lang]


@bp.get("/template")
def download():
    lang = request.args.get("lang")
    if lang not in LANGS:
        lang = current_lang()
    return send_file(io.BytesIO(_template(lang)), mimetype=XLSX, as_attachment=True,
                     download_name=_("file.template", lang=lang))
