"""The loan rules of SPEC section 12, checked with the checker's own code: a loan referred
only for production or business, after the sentence and within the time to apply, at
most the ceiling, to someone whose ward a pool covers, and each pool's loans within its
capital (loans granted before count first and are not judged again)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from matcher.domain import Roster
from matcher.plan import Plan


def _last_day(release: dt.date, years: int) -> dt.date:
    if release.month == 2 and release.day == 29:
        return dt.date(release.year + years, 2, 28)
    return dt.date(release.year + years, release.month, release.day)


def check_loans(roster: Roster, plan: Plan, previous: Any = None) -> list[str]:
    s = roster.settings
    people = {r.id: r for r in roster.returnees}
    pool_of = {w: p for p in roster.loan_pools for w in p.wards}
    pools = {p.id: p for p in roster.loan_pools}
    granted = dict(getattr(previous, "granted", None) or {})
    lent: Counter = Counter()
    bad = []
    seen = Counter(d.returnee_id for d in plan.loans)
    for rid, n in seen.items():
        if n > 1:
            bad.append(f"loan: {rid} has {n} loan rows")
    for d in plan.loans:
        r = people.get(d.returnee_id)
        if r is None:
            bad.append(f"loan: {d.returnee_id} is not in the roster")
            continue
        if d.amount <= 0:
            if d.status in ("funded", "granted"):
                bad.append(f"loan: {r.id} {d.status} with no amount")
            elif not d.reason:
                bad.append(f"loan: {r.id} left without a loan and without a reason")
            continue
        pool = pool_of.get(r.location.ward or "")
        if d.status == "granted":
            if granted.get(r.id) != d.amount:
                bad.append(f"loan granted: {r.id} was not granted {d.amount} before")
            if pool is not None:
                lent[pool.id] += d.amount
            continue
        if d.status != "funded":
            bad.append(f"loan: {r.id} has {d.amount} VND with status {d.status!r}")
        if not r.needs_loan:
            bad.append(f"loan: {r.id} did not ask for a loan")
        if r.loan_purpose != "business":
            bad.append(f"loan purpose: {r.id}'s loan is not for production or business")
        if r.release_date > s.plan_date:
            bad.append(f"loan window: {r.id} completes the sentence only on {r.release_date}")
        elif s.plan_date > _last_day(r.release_date, s.loan_window_years):
            bad.append(f"loan window: {r.id}'s time to apply has ended")
        if d.amount > s.loan_max_vnd or d.amount > (r.loan_amount or s.loan_max_vnd):
            bad.append(f"loan ceiling: {r.id} gets {d.amount} VND")
        if pool is None or d.pool_id != pool.id:
            bad.append(f"loan pool: {r.id} funded from {d.pool_id}, which does not cover "
                       f"{r.location.ward}")
            continue
        lent[pool.id] += d.amount
    for pid, total in lent.items():
        if total > pools[pid].capital and any(
                d.status == "funded" and d.pool_id == pid for d in plan.loans):
            bad.append(f"loan capital: pool {pid} lends {total} VND of {pools[pid].capital}")
    return bad
