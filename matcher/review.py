"""The monthly loop (SPEC section 12): what happened to the last plan's visits, and the
figures the steering committee (Ban Chỉ đạo 138) asks for, per ward and in total.

The per-ward table is built with pandas: one row per returnee with the facts that count,
grouped by ward and summed, with a total row."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from matcher import catalog
from matcher.domain import Roster
from matcher.plan import Plan, PreviousPlan
from matcher.text import fold

if TYPE_CHECKING:
    import pandas as pd

# report columns in order; each one's header is the catalogue's "committee.col.<key>"
REPORT_COLUMNS: tuple[str, ...] = (
    "ward", "under_management", "received_period", "received_since", "with_mentor",
    "in_job", "in_training", "loans_referred", "loans_referred_vnd", "loans_granted",
    "loans_granted_vnd", "visits_planned", "visits_done", "nothing_yet", "main_reasons")
TOTAL = "__total__"  # the ward key of the total row


def review_visits(previous: PreviousPlan, plan_date: dt.date) -> dict[str, Any]:
    """The previous plan's visits due before ``plan_date`` against those marked done: per
    mentor and per pair, the first visits missed and the mentors who visited no one.
    Empty when nothing was marked (a plan given back without the done column)."""
    due = [v for v in previous.visits if v.date < plan_date]
    if not any(v.done is not None for v in due):
        return {}
    mentors: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    pairs: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for v in due:
        for key, table in ((v.mentor_id, mentors), ((v.mentor_id, v.returnee_id), pairs)):
            table[key][0] += 1
            table[key][1] += bool(v.done)
    return {
        "planned": len(due), "done": sum(bool(v.done) for v in due),
        "unmarked": sum(v.done is None for v in due),
        "by_mentor": [{"mentor_id": m, "planned": p, "done": d}
                      for m, (p, d) in sorted(mentors.items())],
        "by_pair": [{"mentor_id": m, "returnee_id": r, "planned": p, "done": d}
                    for (m, r), (p, d) in sorted(pairs.items())],
        "missed_first": [{"mentor_id": v.mentor_id, "returnee_id": v.returnee_id,
                          "date": v.date.isoformat()}
                         for v in due if v.kind == "first" and not v.done],
        "idle_mentors": sorted(m for m, (p, d) in mentors.items() if p and not d),
    }


_KIND = re.compile(r"^(job|training|việc làm|học nghề)\s*:\s*", re.IGNORECASE)
_OLD_RULE = re.compile(r"^(rule|quy tắc)\s*\d+\s*:\s*", re.IGNORECASE)  # older plans
RULES = (*range(1, 14), "priority")  # the rules a reason is headed by ("rule.<name>")


@functools.cache
def _heads() -> tuple[tuple[str, str], ...]:
    """How a reason headed by a rule begins, in either language ("Distance (rule 3):",
    "Khoảng cách:"), with the rule's name in that language; longest first."""
    out = {}
    for lang in catalog.LANGS:
        for rule in RULES:
            name = catalog.text(f"rule.{rule}", lang)
            head = (catalog.text("reason.rule", lang, rule=name, n=str(rule), text="")
                    if isinstance(rule, int) else
                    catalog.text("reason.head", lang, rule=name, text=""))
            out[head.rstrip()] = name
    return tuple(sorted(out.items(), key=lambda kv: -len(kv[0])))


def _gist(reason: str) -> str:
    """What a reason is about: the rule it names (with "Job:" or "Việc làm:" kept when
    it is about a placement); for a reason without a rule, its text without ids and
    figures in brackets."""
    text = reason.strip()
    kind = _KIND.match(text)
    rest = text[kind.end():] if kind else text
    for head, name in _heads():
        if rest.startswith(head):
            return (kind.group(0) if kind else "") + name
    rest = _OLD_RULE.sub("", rest)
    return re.split(r"[(:]", rest, maxsplit=1)[0].strip(" ;,")


def _main_reasons(reasons: list[str]) -> str:
    """The two most frequent reasons, with how many people each."""
    heads = Counter(_gist(r) for r in reasons if r)
    return "; ".join(f"{text} ({n})" for text, n in heads.most_common(2) if text)


def committee_report(roster: Roster, plan: Plan) -> pd.DataFrame:
    """Per ward and in total (last row, ward :data:`TOTAL`): the figures of SPEC section
    12, with the main reasons of those with nothing yet in Vietnamese (``main_reasons``)
    and English (``main_reasons_en``). "Received since" counts from the setting
    ``report_since`` (default 1 January of the plan's year); "this period" is the
    ``report_period_days`` before the plan date."""
    import pandas as pd  # 0.19 s of a 0.66 s start-up: only reports need it

    day = plan.plan_date
    s = roster.settings
    since, period_days = report_since(roster), s.report_period_days
    rows_by_id = {a.returnee_id: a for a in plan.assignments}
    unassigned = {u.returnee_id: u for u in plan.unassigned}
    loans = {d.returnee_id: d for d in plan.loans}
    planned = Counter(x["returnee_id"] for x in plan.visit_review.get("by_pair", ())
                      for _ in range(x["planned"]))
    done = Counter()
    for x in plan.visit_review.get("by_pair", ()):
        done[x["returnee_id"]] += x["done"]
    records = []
    for r in roster.returnees:
        a = rows_by_id.get(r.id)
        if a is None:
            continue
        ended = r.follow_up_end is not None and r.follow_up_end <= day
        loan = loans.get(r.id)
        helped = bool(a.mentor_id or a.job_id or a.training_id
                      or (loan is not None and loan.amount))
        u = unassigned.get(r.id)
        records.append({
            "ward": r.location.ward or "?",
            "under_management": not ended,
            "received_period": (day - dt.timedelta(days=period_days)) < r.release_date <= day,
            "received_since": since <= r.release_date <= day,
            "with_mentor": a.mentor_id is not None,
            "in_job": a.job_id is not None,
            "in_training": a.training_id is not None,
            "loans_referred": bool(loan and loan.status == "funded"),
            "loans_referred_vnd": loan.amount if loan and loan.status == "funded" else 0,
            "loans_granted": bool(loan and loan.status == "granted"),
            "loans_granted_vnd": loan.amount if loan and loan.status == "granted" else 0,
            "visits_planned": planned[r.id],
            "visits_done": done[r.id],
            "nothing_yet": not ended and not helped,
            "reasons": (u.reasons_vi or u.reasons) if u and not ended and not helped else [],
            "reasons_en": u.reasons if u and not ended and not helped else [],
        })
    columns = [c for c in REPORT_COLUMNS if c not in ("ward", "main_reasons")]
    if not records:
        return pd.DataFrame(columns=[*REPORT_COLUMNS, "main_reasons_en"])
    df = pd.DataFrame.from_records(records)
    by_ward = df.groupby("ward", sort=False)
    table = by_ward[columns].sum().astype("int64")
    for col, src in (("main_reasons", "reasons"), ("main_reasons_en", "reasons_en")):
        table[col] = by_ward[src].agg(lambda xs: _main_reasons([r for x in xs for r in x]))
    table = table.loc[sorted(table.index, key=fold)]  # Vietnamese order, accents aside
    total = table[columns].sum().to_frame().T.astype("int64")
    total["main_reasons"] = _main_reasons([r for x in df["reasons"] for r in x])
    total["main_reasons_en"] = _main_reasons([r for x in df["reasons_en"] for r in x])
    total.index = [TOTAL]
    out = pd.concat([table, total])
    out.index.name = "ward"
    return out.reset_index()


def report_since(roster: Roster) -> dt.date:
    s = roster.settings
    return s.report_since or dt.date(s.plan_date.year, 1, 1)


def report_headers(lang: str, since: dt.date) -> list[str]:
    """The report's column headers in ``lang`` ("vi" or "en")."""
    day = catalog.date(since, lang)
    return [catalog.text(f"committee.col.{c}", lang, since=day) for c in REPORT_COLUMNS]


def report_rows(table: pd.DataFrame, lang: str) -> list[list[Any]]:
    """The report's rows in ``lang``, in :data:`REPORT_COLUMNS` order."""
    out = []
    for rec in table.to_dict("records"):
        ward = catalog.text("committee.total", lang) if rec["ward"] == TOTAL else rec["ward"]
        reasons = rec["main_reasons"] if lang == "vi" else rec["main_reasons_en"]
        out.append([ward, *(int(rec[c]) for c in list(REPORT_COLUMNS)[1:-1]), reasons])
    return out
