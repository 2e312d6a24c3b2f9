"""The loan tables of the plan workbook (SPEC section 12): every request with its decision
and reason, the referral list per bank transaction point ready to print (one block per
pool, a page each, with a signature line), and the employers who may borrow per worker."""

from __future__ import annotations

from collections import defaultdict

from matcher import catalog
from matcher.domain import Roster
from matcher.io.plan_text import _t
from matcher.io.sheet_model import _Col, _Lookup, _Table, _table, _ward
from matcher.plan import Plan

VND_FORMAT = "#,##0"


def loan_tables(plan: Plan, roster: Roster, lang: str) -> list[_Table]:
    if not plan.loans:
        return []
    look = _Lookup(roster)
    tables = [_decisions(plan, roster, look, lang), _referrals(plan, roster, look, lang)]
    if plan.employer_loans:
        tables.append(_employers(plan, lang))
    return tables


def _status(status: str, lang: str) -> str:
    return _t(f"loan:{status}", lang)


def _decisions(plan: Plan, roster: Roster, look: _Lookup, lang: str) -> _Table:
    t = _table("loans", lang, (
        _Col("returnee_id"), _Col("name"), _Col("ward"), _Col("pool"),
        _Col("asked_vnd", VND_FORMAT), _Col("amount_vnd", VND_FORMAT), _Col("loan_status"),
        _Col("priority"), _Col("reason", wrap=True), _Col("granted")))
    pools = {p.id: p for p in roster.loan_pools}
    for d in plan.loans:
        r = look.returnees.get(d.returnee_id)
        pool = pools.get(d.pool_id or "")
        t.rows.append([d.returnee_id, r.full_name if r else None,
                       _ward(r, lang) if r else None, pool.name if pool else d.pool_id,
                       d.asked, d.amount or None, _status(d.status, lang), d.points or None,
                       (d.reason_vi if lang == "vi" else d.reason) or None,
                       _t("word:yes", lang) if d.status == "granted" else None])
    return t


def _referrals(plan: Plan, roster: Roster, look: _Lookup, lang: str) -> _Table:
    """One block per pool: its title, the people referred (funded now) with the amounts,
    the total against the capital, then a line to sign; a page break between pools."""
    t = _table("loan_referrals", lang, (
        _Col("no"), _Col("name"), _Col("birth_year"), _Col("ward"), _Col("returnee_id"),
        _Col("amount_vnd", VND_FORMAT), _Col("notes", width=24)))
    t.autofilter = False
    t.header = False
    ncols = len(t.cols)
    by_pool = defaultdict(list)
    for d in plan.loans:
        if d.status == "funded" and d.pool_id:
            by_pool[d.pool_id].append(d)
    for k, pool in enumerate(p for p in roster.loan_pools if p.id in by_pool):
        items = by_pool[pool.id]
        if k:
            t.rows.append([None] * ncols)
            t.breaks.add(len(t.rows))
        t.title_rows.add(len(t.rows))
        t.bold_rows.add(len(t.rows))
        t.rows.append([catalog.text("word:loan_block", lang, pool=pool.name, id=pool.id)]
                      + [None] * (ncols - 1))
        total = sum(d.amount for d in items)
        t.rows.append([catalog.ntext("word:loan_block_total", len(items), lang, total=total,
                                     capital=pool.capital)]
                      + [None] * (ncols - 1))
        t.header_rows.add(len(t.rows))
        t.boxed_rows.add(len(t.rows))
        t.rows.append(list(t.headers))
        for i, d in enumerate(items, 1):
            r = look.returnees.get(d.returnee_id)
            t.boxed_rows.add(len(t.rows))
            t.rows.append([i, r.full_name if r else None, r.birth_year if r else None,
                           _ward(r, lang) if r else None, d.returnee_id, d.amount, None])
        t.rows.append([None] * ncols)
        t.bold_rows.add(len(t.rows))
        t.rows.append([None, None, None, None, _t("word:signed_by", lang), None, None])
    return t


def _employers(plan: Plan, lang: str) -> _Table:
    t = _table("employer_loans", lang, (_Col("employer"), _Col("workers"),
                                        _Col("amount_vnd", VND_FORMAT)))
    for e in plan.employer_loans:
        t.rows.append([e.employer, e.workers, e.amount])
    return t
