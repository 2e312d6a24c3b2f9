"""The web's door to the checked copy of a roster (:mod:`matcher.io.annotate`) and to the
roster reader's engine (:func:`matcher.io.tables.load_tables`).

The library imports sit inside the functions on purpose (measured start-up gain): the
web app imports this module when it starts, and at the top they would load openpyxl
(0.16 s) and numpy (0.05 s) into a process that imports in 0.13 s today and only serves
pages; the work itself runs in a bounded child (:func:`matcher.io.sandbox.run_bounded`),
which pays for them there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


def read_tables(path: Path) -> list[tuple[str, list[list[Any]]]]:
    """(title, rows) of every table of a workbook or CSV file, from its first used row
    (blank rows as ``[]``); a CSV is titled by its file stem, as the reader names it."""
    from matcher.io.tables import load_tables

    return [(table.title, table.grid()) for table in load_tables(path)]


def annotated_download(paths: list[Path], issues: Iterable[Mapping[str, Any]], lang: str,
                       labels: dict[str, str]) -> tuple[bytes, str]:
    """:func:`matcher.io.annotate.annotated_download`: one checked workbook ("xlsx") or a
    zip of them ("zip")."""
    from matcher.io.annotate import annotated_download as library_annotated_download

    return library_annotated_download(paths, issues, lang, labels)
