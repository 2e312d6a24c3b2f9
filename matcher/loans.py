"""Preferential loans (SPEC section 12): requests referred to the Social Policy Bank within
each capital pool, exact and explained like the other supports.

Hard rules, per request (every figure is a setting, Decision 22/2023/QĐ-TTg as we read it):

* the purpose is production or business;
* the sentence is completed and the time to apply (``loan_window_years`` after the release
  date) has not ended on the plan date;
* the amount is at most ``loan_max_vnd`` (a larger request is referred at the ceiling);
* a capital pool covers the person's ward, and the amounts referred in a pool stay within
  its capital (loans granted before, kept on a rerun, use it first).

Then, within each pool, lexicographic tiers: L1 the number of people funded, L2 their
priority points (no job placement in this plan, poor household, risk level, the time to
apply ending soon), L3 the capital used. Each pool is a knapsack with a cardinality tier,
solved exactly with CP-SAT (:func:`matcher.cpsat.lex_solve`); the plan's tiers are the
sums over pools, proved when every pool's are.

Employers with returnees placed in this plan may borrow per worker employed; they are
listed for referral.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from matcher import catalog
from matcher.cpsat import lex_solve
from matcher.domain import LoanPool, Returnee, Roster
from matcher.plan import Assignment, EmployerLoan, LoanDecision, Tier
from matcher.text import Bi, fold, vi_of

LOAN_TIERS = ("L1", "L2", "L3")


@dataclass
class LoanResult:
    decisions: list[LoanDecision] = field(default_factory=list)
    tiers: dict[str, Tier] = field(default_factory=dict)
    employer_loans: list[EmployerLoan] = field(default_factory=list)


def window_end(r: Returnee, years: int) -> dt.date:
    """The last day to apply: ``years`` after completing the sentence (28 Feb for 29 Feb)."""
    try:
        return r.release_date.replace(year=r.release_date.year + years)
    except ValueError:
        return r.release_date.replace(year=r.release_date.year + years, day=28)


def _day(d: dt.date) -> Bi:
    return Bi(catalog.date(d, "en"), catalog.date(d, "vi"))


def _vnd(amount: int) -> Bi:
    """An amount in millions of VND in both languages."""
    return Bi(catalog.millions(amount, "en"), catalog.millions(amount, "vi"))


def _pool_of(roster: Roster) -> dict[str, LoanPool]:
    """Ward -> the pool covering it (the reader refuses a ward in two pools)."""
    return {ward: pool for pool in roster.loan_pools for ward in pool.wards}


def _ineligible(r: Returnee, roster: Roster, pool: LoanPool | None) -> str | None:
    s = roster.settings
    if r.loan_purpose != "business":
        return catalog.bi("reason.loan.purpose")
    if r.release_date > s.plan_date:
        return catalog.bi("reason.loan.not_released", day=_day(r.release_date))
    end = window_end(r, s.loan_window_years)
    if s.plan_date > end:
        return catalog.nbi("reason.loan.window", int(s.loan_window_years), day=_day(end))
    if pool is None:
        return catalog.bi("reason.loan.no_pool", ward=r.location.ward or "?")
    return None


def priority_points(r: Returnee, a: Assignment | None, roster: Roster) -> int:
    """L2 points of one request: no job placement in this plan, poor household, risk level,
    the time to apply ending within ``loan_window_soon_days``."""
    s = roster.settings
    soon = (window_end(r, s.loan_window_years) - s.plan_date).days <= s.loan_window_soon_days
    no_job = a is None or a.job_id is None
    return (s.weight_loan_no_job * no_job + s.weight_loan_poor * r.poor_household
            + s.weight_loan_risk * r.risk + s.weight_loan_window * soon)


def allocate_loans(roster: Roster, assignments: Sequence[Assignment],
                   granted: Mapping[str, int] | None = None,
                   time_limit: float | None = None) -> LoanResult:
    """Loan decisions for every request of ``roster`` (returnees with ``needs_loan``), the
    tiers L1-L3 and the employers' referral list. ``granted``: returnee id -> amount
    granted before (a rerun), kept whatever the rules say now."""
    s = roster.settings
    limit = s.time_limit_s if time_limit is None else time_limit
    granted = dict(granted or {})
    by_id = {a.returnee_id: a for a in assignments}
    pool_of = _pool_of(roster)
    out = LoanResult()
    requests: dict[str, list[tuple[Returnee, int, int]]] = {}
    used: Counter = Counter()
    for r in roster.returnees:
        pool = pool_of.get(r.location.ward or "")
        asked = r.loan_amount or s.loan_max_vnd
        if r.id in granted:
            before = catalog.bi("reason.loan.granted_before")
            out.decisions.append(LoanDecision(
                r.id, pool.id if pool else None, asked, granted[r.id], "granted",
                reason=str(before), reason_vi=before.vi))
            if pool is not None:
                used[pool.id] += granted[r.id]
            continue
        if not r.needs_loan:
            continue
        why = _ineligible(r, roster, pool)
        if why:
            out.decisions.append(LoanDecision(r.id, pool.id if pool else None, asked, 0,
                                              "ineligible", reason=str(why),
                                              reason_vi=vi_of(why)))
            continue
        amount = min(asked, s.loan_max_vnd)
        points = priority_points(r, by_id.get(r.id), roster)
        requests.setdefault(pool.id, []).append((r, amount, points))
    values = dict.fromkeys(LOAN_TIERS, 0.0)
    bounds = dict.fromkeys(LOAN_TIERS, 0.0)
    proved = dict.fromkeys(LOAN_TIERS, True)
    pools = {p.id: p for p in roster.loan_pools}
    for pid in sorted(requests):
        pool, reqs = pools[pid], requests[pid]
        left = max(0, pool.capital - used[pid])
        chosen, res = _solve_pool(reqs, left, limit)
        for name in LOAN_TIERS:
            v, b, ok = res.get(name, (0.0, 0.0, False))
            values[name] += v
            bounds[name] += b
            proved[name] = proved[name] and ok
        remaining = left - sum(amount for (_, amount, _), c in zip(reqs, chosen) if c)
        out.decisions += _decisions(pool, reqs, chosen, remaining, s.loan_max_vnd)
    order = {r.id: i for i, r in enumerate(roster.returnees)}
    out.decisions.sort(key=lambda d: order.get(d.returnee_id, len(order)))
    if roster.loan_pools or any(r.needs_loan for r in roster.returnees):
        out.tiers = {name: Tier(name, values[name], values[name] if proved[name]
                                else bounds[name], proved[name]) for name in LOAN_TIERS}
    out.employer_loans = employer_loans(roster, assignments)
    return out


ONE_THREAD_MAX_REQUESTS = 5000  # a larger pool's knapsack gets two search threads


def _solve_pool(reqs: list[tuple[Returnee, int, int]], capital: int, time_limit: float
                ) -> tuple[list[bool], dict[str, tuple[float, float, bool]]]:
    """L1, L2, L3 on one pool: a knapsack of ``capital`` with a cardinality tier first."""
    from ortools.sat.python import cp_model  # lazy: it imports pandas (0.2 s)

    model = cp_model.CpModel()
    xs = [model.new_bool_var(f"x{i}") for i in range(len(reqs))]
    amounts = [amount for _, amount, _ in reqs]
    model.add(cp_model.LinearExpr.weighted_sum(xs, amounts) <= capital)
    tiers = [("L1", cp_model.LinearExpr.sum(xs), True, 1),
             ("L2", cp_model.LinearExpr.weighted_sum(xs, [p for _, _, p in reqs]), True, 1),
             ("L3", cp_model.LinearExpr.weighted_sum(xs, amounts), True, 1)]
    # one search thread: a pool's knapsack is small, one thread solves it three times
    # faster than two (province: 0.26 s against 0.76 s for 55 pools) and the same way
    # every run (two threads may return another of several equally good choices)
    workers = 1 if len(reqs) <= ONE_THREAD_MAX_REQUESTS else 2
    res, solution = lex_solve(model, tiers, xs, time_limit=time_limit, shared_budget=True,
                              workers=workers)
    return (solution or [False] * len(reqs)), res


def _decisions(pool: LoanPool, reqs: list[tuple[Returnee, int, int]], chosen: list[bool],
               remaining: int, ceiling: int) -> list[LoanDecision]:
    out = []
    name = pool.name or pool.id
    for (r, amount, points), c in zip(reqs, chosen):
        asked = r.loan_amount or amount
        if c:
            why = Bi("", "")
            if asked > amount:
                why = catalog.bi("reason.loan.ceiling", asked=_vnd(asked),
                                 ceiling=_vnd(ceiling))
            out.append(LoanDecision(r.id, pool.id, asked, amount, "funded", points,
                                    str(why), vi_of(why)))
            continue
        if remaining < amount:
            why = catalog.bi("reason.loan.pool_short", pool=name, left=_vnd(remaining),
                             amount=_vnd(amount))
        else:  # only when the solve was stopped before proving L1
            why = catalog.bi("reason.loan.priority", pool=name)
        out.append(LoanDecision(r.id, pool.id, asked, 0, "left_out", points, str(why),
                                vi_of(why)))
    return out


def employer_loans(roster: Roster, assignments: Sequence[Assignment]) -> list[EmployerLoan]:
    """Per employer with returnees placed in a job: what it may borrow under the settings
    (per worker, up to the ceiling for one business), largest first."""
    s = roster.settings
    jobs = {j.id: j for j in roster.jobs}
    names: dict[str, str] = {}
    workers: Counter = Counter()
    for a in assignments:
        if a.job_id and a.job_id in jobs:
            key = fold(jobs[a.job_id].employer)
            names.setdefault(key, jobs[a.job_id].employer)
            workers[key] += 1
    out = [EmployerLoan(names[k], n, min(n * s.loan_employer_per_worker_vnd,
                                         s.loan_employer_max_vnd))
           for k, n in workers.items()]
    return sorted(out, key=lambda e: (-e.amount, e.employer))
