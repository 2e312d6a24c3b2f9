"""Loan requests and capital pools (SPEC section 12), drawn from their own random stream
so that every other column of a roster stays the same for a seed.

About 15 % of those who ask want money for something other than production or business;
amounts are 20-120 million VND in steps of 10 (some above the 100 million ceiling); one
household in four is poor. One Social Policy Bank transaction point covers up to three
neighbouring wards with requests, with capital for about 60 % of what is asked there
(rounded to 10 million), so the capital binds and some people are left out."""

from __future__ import annotations

import dataclasses

import numpy as np

from matcher.domain import LoanPool, Returnee

MILLION = 1_000_000


def add_loans(returnees: list[Returnee], seed: int) -> tuple[list[Returnee], list[LoanPool]]:
    rng = np.random.default_rng([seed, 12])
    n = len(returnees)
    amount = rng.integers(2, 13, n) * 10 * MILLION
    other = rng.random(n) < 0.15
    poor = rng.random(n) < 0.25
    out = []
    asked: dict[str, int] = {}
    for i, r in enumerate(returnees):
        if not r.needs_loan:
            out.append(dataclasses.replace(r, poor_household=bool(poor[i])))
            continue
        out.append(dataclasses.replace(
            r, loan_amount=int(amount[i]), loan_purpose="other" if other[i] else "business",
            poor_household=bool(poor[i])))
        if r.location.ward and not other[i]:
            asked[r.location.ward] = asked.get(r.location.ward, 0) + int(amount[i])
    wards = sorted(asked)
    pools = []
    for k in range(0, len(wards), 3):
        group = wards[k:k + 3]
        capital = int(round(0.6 * sum(asked[w] for w in group) / (10 * MILLION))) * 10 * MILLION
        first = group[0].split(" ", 1)[-1]
        pools.append(LoanPool(f"V{k // 3 + 1:03d}", f"Điểm giao dịch NHCSXH {first}",
                              frozenset(group), max(capital, 20 * MILLION)))
    return out, pools
