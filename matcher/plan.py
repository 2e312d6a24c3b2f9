"""The one result type, :class:`Plan`, and its JSON form (SPEC section 7)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

SCHEMA = "reintegration-plan/1"

# name -> sense; each tier's words are the catalogue's "tier.<name>"
TIER_SENSE: dict[str, str] = {
    "M1": "max", "M2": "max", "M3": "min", "M4": "max", "M5": "min",
    "J1": "max", "J2": "max", "J3": "min", "J4": "max", "J5": "min",
    "L1": "max", "L2": "max", "L3": "max",
}


@dataclass
class Tier:
    """A tier's value, the best bound proved for it (None when no valid bound is known,
    e.g. below a tier that is not proved optimal) and whether the value is proved optimal."""

    name: str
    value: float
    bound: float | None
    optimal: bool

    def to_dict(self) -> dict[str, Any]:
        return {"value": _num(self.value),
                "bound": None if self.bound is None else _num(self.bound),
                "optimal": self.optimal}


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 3)


@dataclass
class Assignment:
    returnee_id: str
    mentor_id: str | None = None
    job_id: str | None = None
    training_id: str | None = None
    mentor_km: float | None = None
    job_km: float | None = None
    training_km: float | None = None
    mentor_hours: float | None = None  # the pair's monthly hours, as the solver counted them
    approximate: bool = False  # a distance rests on a ward point
    change: str = "new"  # new | kept | changed | ended
    reason: str = ""
    reason_vi: str = ""
    confirmed: bool = False
    hired: bool = False
    score: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "returnee_id": self.returnee_id, "mentor_id": self.mentor_id,
            "job_id": self.job_id, "training_id": self.training_id,
            "mentor_km": _round(self.mentor_km), "job_km": _round(self.job_km),
            "training_km": _round(self.training_km),
            "mentor_hours": None if self.mentor_hours is None else round(self.mentor_hours, 4),
            "approximate": self.approximate,
            "change": self.change, "reason": self.reason,
            "reason_vi": self.reason_vi or self.reason, "confirmed": self.confirmed,
            "hired": self.hired, "score": {k: _num(v) for k, v in self.score.items()},
        }

    def points(self) -> float | None:
        """The suitability points of the pair: the sum of the score's terms (distances,
        ``*_km``, are not points); None when the score has no terms."""
        terms = [float(v) for k, v in self.score.items()
                 if not k.endswith("_km") and isinstance(v, int | float)]
        return sum(terms) if terms else None

    def reason_in(self, lang: str) -> str:
        """The reason in ``lang`` ("vi" or "en")."""
        return (self.reason_vi or self.reason) if lang == "vi" else self.reason


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), 2)


@dataclass
class Unassigned:
    returnee_id: str
    missing: list[str]  # "mentor", "job", "training"
    reasons: list[str]  # English
    reasons_vi: list[str] = field(default_factory=list)  # the same, in Vietnamese

    def to_dict(self) -> dict[str, Any]:
        return {"returnee_id": self.returnee_id, "missing": self.missing, "reasons": self.reasons,
                "reasons_vi": self.reasons_vi or self.reasons}

    def reasons_in(self, lang: str) -> list[str]:
        """The reasons in ``lang`` ("vi" or "en")."""
        return (self.reasons_vi or self.reasons) if lang == "vi" else self.reasons


@dataclass
class UnmetRequire:
    """A Pairs ``require`` row the plan could not honour, with the reason in plain words.
    ``kind`` is "mentor", "job" or "training"; ``row`` the Pairs row as Excel shows it."""

    returnee_id: str
    kind: str
    target_id: str
    row: int | None
    reason: str
    reason_vi: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"returnee_id": self.returnee_id, "kind": self.kind,
                "target_id": self.target_id, "row": self.row, "reason": self.reason,
                "reason_vi": self.reason_vi or self.reason}

    def reason_in(self, lang: str) -> str:
        """The reason in ``lang`` ("vi" or "en")."""
        return (self.reason_vi or self.reason) if lang == "vi" else self.reason


@dataclass
class LoanDecision:
    """One loan request and what the plan does with it. ``status``: "funded" (referred to
    the bank within its pool's capital), "granted" (granted before, kept on a rerun),
    "left_out" (eligible, the pool's capital did not reach) or "ineligible"."""

    returnee_id: str
    pool_id: str | None
    asked: int  # VND
    amount: int  # VND referred or granted (0 when none)
    status: str
    points: int = 0  # L2 priority points
    reason: str = ""
    reason_vi: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"returnee_id": self.returnee_id, "pool_id": self.pool_id, "asked": self.asked,
                "amount": self.amount, "status": self.status, "points": self.points,
                "reason": self.reason, "reason_vi": self.reason_vi or self.reason}


@dataclass
class EmployerLoan:
    """What an employer of returnees placed in this plan may borrow under the settings."""

    employer: str
    workers: int
    amount: int  # VND

    def to_dict(self) -> dict[str, Any]:
        return {"employer": self.employer, "workers": self.workers, "amount": self.amount}


@dataclass
class Visit:
    date: dt.date
    slot: str
    mentor_id: str
    returnee_id: str
    kind: str  # first | follow-up
    done: bool | None = None  # marked by the coordinator afterwards (None: not marked)

    def to_dict(self) -> dict[str, Any]:
        out = {"date": self.date.isoformat(), "slot": self.slot, "mentor_id": self.mentor_id,
               "returnee_id": self.returnee_id, "kind": self.kind}
        if self.done is not None:
            out["done"] = self.done
        return out


@dataclass
class CapacityGap:
    ward: str
    kind: str  # mentor | job | training
    uncovered: int
    suggestion: str
    uncovered_female: int = 0
    more_needed: int = 0
    suggestion_vi: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"ward": self.ward, "kind": self.kind, "uncovered": self.uncovered,
                "uncovered_female": self.uncovered_female, "more_needed": self.more_needed,
                "suggestion": self.suggestion,
                "suggestion_vi": self.suggestion_vi or self.suggestion}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CapacityGap:
        return cls(ward=str(data.get("ward") or ""), kind=str(data.get("kind") or ""),
                   uncovered=int(data.get("uncovered") or 0),
                   suggestion=str(data.get("suggestion") or ""),
                   uncovered_female=int(data.get("uncovered_female") or 0),
                   more_needed=int(data.get("more_needed") or 0),
                   suggestion_vi=str(data.get("suggestion_vi") or ""))


@dataclass
class Plan:
    plan_date: dt.date
    settings: dict[str, Any]
    tiers: dict[str, Tier]
    assignments: list[Assignment]
    unassigned: list[Unassigned] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    unscheduled: list[dict[str, Any]] = field(default_factory=list)
    # pairs with no visit due within the horizon (release late in the period): when
    not_yet_due: list[dict[str, Any]] = field(default_factory=list)
    visit_review: dict[str, Any] = field(default_factory=dict)  # the last plan's visits done
    capacity_gaps: list[CapacityGap] = field(default_factory=list)
    status: str = "OPTIMAL"
    solve_seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    sources: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    warnings_vi: list[str] = field(default_factory=list)
    changes: dict[str, Any] = field(default_factory=dict)
    unmet_requires: list[UnmetRequire] = field(default_factory=list)
    loans: list[LoanDecision] = field(default_factory=list)
    employer_loans: list[EmployerLoan] = field(default_factory=list)

    def assignment(self, returnee_id: str) -> Assignment:
        return self._by_id()[returnee_id]

    def _by_id(self) -> dict[str, Assignment]:
        cache = self.__dict__.get("_by_id_cache")
        if cache is None or len(cache) != len(self.assignments):
            cache = {a.returnee_id: a for a in self.assignments}
            self.__dict__["_by_id_cache"] = cache
        return cache

    def counts(self) -> dict[str, int]:
        a = self.assignments
        return {
            "returnees": len(a),
            "with_mentor": sum(x.mentor_id is not None for x in a),
            "in_job": sum(x.job_id is not None for x in a),
            "in_training": sum(x.training_id is not None for x in a),
            "unassigned": len(self.unassigned),
            "visits": len(self.visits),
            "loans": sum(x.amount > 0 for x in self.loans),
            "loan_vnd": sum(x.amount for x in self.loans),
        }

    def coverage(self) -> float:
        """Percent of returnees with a mentor, to one decimal (0.0 for an empty plan)."""
        n = len(self.assignments)
        with_mentor = sum(x.mentor_id is not None for x in self.assignments)
        return round(100.0 * with_mentor / n, 1) if n else 0.0

    def change_counts(self) -> dict[str, int] | None:
        """A rerun's counts of new / kept / changed / ended pairs; None for a first plan."""
        counts = (self.changes or {}).get("counts")
        return counts if isinstance(counts, dict) else None

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "plan_date": self.plan_date.isoformat(),
            "status": self.status,
            "solve_seconds": round(self.solve_seconds, 3),
            "settings": self.settings,
            "tiers": {k: t.to_dict() for k, t in self.tiers.items()},
            "counts": self.counts(),
            "sources": self.sources,
            "assignments": [x.to_dict() for x in self.assignments],
            "unassigned": [x.to_dict() for x in self.unassigned],
            "visits": [v.to_dict() for v in self.visits],
            "unscheduled": self.unscheduled,
            "not_yet_due": self.not_yet_due,
            "visit_review": self.visit_review,
            "capacity_gaps": [g.to_dict() for g in self.capacity_gaps],
            "changes": self.changes,
            "warnings": self.warnings,
            "warnings_vi": self.warnings_vi or self.warnings,
            "unmet_requires": [u.to_dict() for u in self.unmet_requires],
            "loans": [x.to_dict() for x in self.loans],
            "employer_loans": [x.to_dict() for x in self.employer_loans],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} document")
        tiers = {k: Tier(k, v["value"], v["bound"], v["optimal"])
                 for k, v in data.get("tiers", {}).items()}
        assignments = []
        for a in data["assignments"]:
            assignments.append(Assignment(
                returnee_id=a["returnee_id"], mentor_id=a.get("mentor_id"),
                job_id=a.get("job_id"), training_id=a.get("training_id"),
                mentor_km=a.get("mentor_km"), job_km=a.get("job_km"),
                training_km=a.get("training_km"), mentor_hours=a.get("mentor_hours"),
                approximate=a.get("approximate", False),
                change=a.get("change", "new"), reason=a.get("reason", ""),
                reason_vi=a.get("reason_vi", ""),
                confirmed=bool(a.get("confirmed", False)), hired=bool(a.get("hired", False)),
                score=dict(a.get("score", {}))))
        visits = [Visit(dt.date.fromisoformat(v["date"]), v["slot"], v["mentor_id"],
                        v["returnee_id"], v.get("kind", "follow-up"), v.get("done"))
                  for v in data.get("visits", [])]
        return cls(
            plan_date=dt.date.fromisoformat(data["plan_date"]), settings=data.get("settings", {}),
            tiers=tiers, assignments=assignments,
            unassigned=[Unassigned(u["returnee_id"], u["missing"], u["reasons"],
                                   u.get("reasons_vi", []))
                        for u in data.get("unassigned", [])],
            visits=visits, unscheduled=list(data.get("unscheduled", [])),
            not_yet_due=list(data.get("not_yet_due", [])),
            visit_review=dict(data.get("visit_review", {})),
            capacity_gaps=[CapacityGap.from_dict(g) for g in data.get("capacity_gaps") or []
                           if isinstance(g, dict)],
            status=data.get("status", ""),
            solve_seconds=data.get("solve_seconds", 0.0), sources=data.get("sources", []),
            changes=data.get("changes", {}), warnings=list(data.get("warnings") or []),
            # a list of its own: a plan's to_json() gives the English list for both when
            # there is no Vietnamese one, and the two grow separately
            warnings_vi=list(data.get("warnings_vi") or []),
            unmet_requires=[UnmetRequire(u["returnee_id"], u["kind"], u["target_id"],
                                         u.get("row"), u.get("reason", ""),
                                         u.get("reason_vi", ""))
                            for u in data.get("unmet_requires", [])],
            loans=[LoanDecision(x["returnee_id"], x.get("pool_id"), int(x.get("asked", 0)),
                                int(x.get("amount", 0)), x.get("status", ""),
                                int(x.get("points", 0)), x.get("reason", ""),
                                x.get("reason_vi", "")) for x in data.get("loans", [])],
            employer_loans=[EmployerLoan(x["employer"], int(x["workers"]), int(x["amount"]))
                            for x in data.get("employer_loans", [])])


@dataclass
class PrevRow:
    returnee_id: str
    mentor_id: str | None = None
    job_id: str | None = None
    training_id: str | None = None
    confirmed: bool = False
    hired: bool = False
    row: int | None = None


@dataclass
class PreviousPlan:
    """What a rerun needs of the previous plan: its pairs per returnee (with the
    hand-filled ``confirmed`` and ``hired`` marks), its date, where it came from and, when
    known, its visits (SPEC section 5)."""

    rows: dict[str, PrevRow]
    plan_date: dt.date | None = None
    source: str = ""
    issues: list[Any] = field(default_factory=list)  # matcher.errors.Issue
    visits: list = field(default_factory=list)  # the previous plan's visits, when known
    granted: dict[str, int] = field(default_factory=dict)  # loans granted: id -> VND


def previous_from_plan(plan: Plan, source: str = "previous plan") -> PreviousPlan:
    rows = {a.returnee_id: PrevRow(a.returnee_id, a.mentor_id, a.job_id, a.training_id,
                                   a.confirmed, a.hired) for a in plan.assignments}
    granted = {x.returnee_id: x.amount for x in plan.loans
               if x.status == "granted" and x.amount > 0}
    return PreviousPlan(rows, plan.plan_date, source, visits=list(plan.visits),
                        granted=granted)


def as_previous(previous: Plan | PreviousPlan) -> PreviousPlan:
    if isinstance(previous, PreviousPlan):
        return previous
    if isinstance(previous, Plan):
        return previous_from_plan(previous)
    raise TypeError("previous must be a Plan or a PreviousPlan")
