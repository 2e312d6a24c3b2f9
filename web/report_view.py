"""What the steering committee's report page (``/runs/<id>/report``) and its CSV show.

The figures per ward and in total come from the run's ``report.json``, which the worker
writes with the plan (:func:`web.planner.report_data`, from
:func:`matcher.review.committee_report`): pages need neither pandas nor the roster. The
last plan's visits done (on a rerun) come from the plan itself (``visit_review``). The
routes are in :mod:`web.runs`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import Markup

from web.i18n import _
from web.reportsvg import MAX_WARDS, render_chart
from web.results import Result, _csv_bytes, number, read_json

REPORT_FILE = "report.json"
# the chart's figures: report columns, and "loans" = people referred or granted a loan
CHART_FIGURES = ("under_management", "with_mentor", "in_job", "in_training", "loans")


def load_report(directory: Path) -> dict[str, Any] | None:
    """The run's ``report.json``, or None for a run planned before reports were made (or
    whose report could not be written)."""
    path = directory / REPORT_FILE
    return read_json(path) if path.is_file() else None


def _cell(value: Any, lang: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        return "" if value is None else str(value)
    return number(value, lang)


def report_table(data: dict[str, Any], lang: str) -> dict[str, Any]:
    """The report as the page's table: headers, and one row per ward then the total, each
    with its cells written in ``lang`` (1.234 in Vietnamese) and its raw ``values``."""
    columns = list(data["columns"])
    total_key = data.get("total")
    rows = []
    for key, row in zip(data["wards"], data["rows"][lang], strict=True):
        values = dict(zip(columns, row, strict=True))
        rows.append({"ward": str(row[0]), "total": key == total_key, "values": values,
                     "cells": [_cell(v, lang) for v in row]})
    return {"columns": columns, "headers": data["headers"][lang], "rows": rows,
            "since": data.get("since")}


def main_reasons(table: dict[str, Any]) -> list[str]:
    """The total row's main reasons of those with nothing yet, one per item."""
    total = next((r for r in table["rows"] if r["total"]), None)
    text = str((total or {}).get("values", {}).get("main_reasons") or "")
    return [part.strip() for part in text.split("; ") if part.strip()]


def chart(table: dict[str, Any], lang: str) -> tuple[Markup, int]:
    """The bar chart per ward and how many wards it leaves out (beyond
    :data:`web.reportsvg.MAX_WARDS`, the wards with the fewest people)."""
    headers = dict(zip(table["columns"], table["headers"], strict=True))
    figures = [(key, headers.get(key) or _("committee.chart_loans", lang=lang))
               for key in CHART_FIGURES]
    wards = []
    for row in table["rows"]:
        if row["total"]:
            continue
        v = row["values"]
        values = {key: int(v.get(key) or 0) for key in CHART_FIGURES if key != "loans"}
        values["loans"] = int(v.get("loans_referred") or 0) + int(v.get("loans_granted") or 0)
        wards.append((row["ward"], values))
    left_out = max(0, len(wards) - MAX_WARDS)
    if left_out:  # the busiest wards, still in the table's order
        keep = {w for w, _v in sorted(wards, key=lambda w: -w[1]["under_management"])
                [:MAX_WARDS]}
        wards = [w for w in wards if w[0] in keep][:MAX_WARDS]
    svg = render_chart(wards, figures, title=_("committee.chart_title", lang=lang),
                       axis_label=_("committee.chart_axis", lang=lang),
                       fmt=lambda n: number(n, lang))
    return svg, left_out


def report_csv(data: dict[str, Any], lang: str) -> bytes:
    """The same table as CSV (UTF-8 with BOM, headers in ``lang``, plain numbers)."""
    return _csv_bytes(list(data["headers"][lang]), [list(r) for r in data["rows"][lang]])


def visits_view(res: Result, lang: str) -> dict[str, Any] | None:
    """The last plan's visits done against planned (a rerun with the done column filled):
    per mentor with their name, the first visits missed, the mentors who visited no one;
    None when the plan has no review."""
    review = res.plan.visit_review or {}
    if not review:
        return None
    idle = set(review.get("idle_mentors") or ())
    mentors = [{"mentor_id": x["mentor_id"], "mentor_name": res.name("mentors", x["mentor_id"]),
                "planned": number(x["planned"], lang), "done": number(x["done"], lang),
                "idle": x["mentor_id"] in idle}
               for x in review.get("by_mentor") or ()]
    missed = [{"mentor_id": x["mentor_id"], "mentor_name": res.name("mentors", x["mentor_id"]),
               "returnee_id": x["returnee_id"],
               "returnee_name": res.name("returnees", x["returnee_id"]), "date": x["date"]}
              for x in review.get("missed_first") or ()]
    return {"planned": number(int(review.get("planned") or 0), lang),
            "done": number(int(review.get("done") or 0), lang),
            "unmarked": int(review.get("unmarked") or 0), "mentors": mentors,
            "missed_first": missed,
            "idle": [{"mentor_id": m, "mentor_name": res.name("mentors", m)}
                     for m in sorted(idle)]}
