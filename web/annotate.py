"""The web's door to the checked copy of a roster (:mod:`matcher.io.annotate`).

The library import sits inside the function on purpose (measured start-up gain): the
web app imports this module when it starts, and at the top it would load openpyxl
(0.16 s) and numpy (0.05 s) into a process that imports in 0.13 s today and only serves
pages; the work itself runs in a bounded child (:func:`matcher.io.sandbox.run_bounded`),
which pays for them there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


def annotated_download(paths: list[Path], issues: Iterable[Mapping[str, Any]], lang: str,
                       labels: dict[str, str],
                       names: list[str] | None = None) -> tuple[bytes, str]:
    """:func:`matcher.io.annotate.annotated_download`: one checked workbook ("xlsx") or a
    zip of them ("zip"), of the files with a problem marked. ``names``: the
    coordinator's names of the files (issues name them so; the zip's members too)."""
    from matcher.io.annotate import annotated_download as library_annotated_download

    return library_annotated_download(paths, issues, lang, labels, names=names,
                                      only_marked=True)
