"""One mentor's visit schedule as an optimisation problem (the model behind
:mod:`matcher.schedule`): its tasks (one chain of visits per mentee), exact dynamic
programming for one chain, the greedy-with-proof fast path for several, and the exact
CP-SAT model when the fast path cannot prove its result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

MAX_PER_DAY = 3
DEV_POINTS = 2  # tier D points per day off cadence
D_TIME_LIMIT = 1.0  # seconds for tier D once tiers A–C are proven
OPT_POINTS = 1  # tier D points for a follow-up placed before it is due (< DEV_POINTS)


@dataclass
class Task:
    """One mentor–mentee chain; dates are day offsets from plan_date."""

    rid: str
    first: bool  # new pair: the first event is a "first" visit
    asap: bool  # the first event should be early (tier C)
    lo0: int
    hi0: int
    due0: int  # date of the first event when it is missed
    target0: int | None  # kept pair: nominal date of the next visit
    c: int
    g: int
    G: int
    free: dict[int, tuple[int, ...]]  # day -> free slot indices (0 morning .. 2 evening)

    def n_free(self) -> int:
        return sum(len(v) for v in self.free.values())


@dataclass
class MentorProblem:
    mid: str
    last: int  # last day of the horizon (offset)
    tasks: list[Task]
    saving: list[list[int]] = field(default_factory=list)  # co-visit saving between tasks
    time_limit: float = 10.0


# an event: (day, slot index) for a placed visit, (day, None) for a missed one
Events = list[tuple[int, int | None]]
# A chain's cost as one integer: the lexicographic tiers A (missed first visits), B
# (missed follow-ups), -B' (optional visits placed), C (earliness), D (cadence and
# co-visits), each far inside its own power-of-ten band.
W_C = 10**7
W_B2 = 10**11
W_B = 10**15
W_A = 10**19


def _prefix(cost: int) -> int:
    """The cost without tier D (tiers A, B, B', C)."""
    return (cost + W_C // 2) // W_C


def _chain(t: Task, last: int, taken: set[tuple[int, int]] | None = None,
           full: set[int] | None = None, bonus: Mapping[int, int] | None = None
           ) -> tuple[int, Events]:
    """The best chain of ``t`` alone (dynamic programme over event dates), avoiding
    ``taken`` slots and ``full`` days; ``bonus`` rewards days (tier D)."""
    slot: list[int | None] = [None] * (last + 1)
    for b, free in t.free.items():
        if b > last or (full and b in full):
            continue
        for sl in free:
            if not taken or (b, sl) not in taken:
                slot[b] = sl
                break
    gain = [0] * (last + 1)
    if bonus:
        for b, v in bonus.items():
            if b <= last:
                gain[b] = v
    c, g, G = t.c, t.g, t.G
    best = [0] * (last + 1)
    nxt: list[tuple[int, int | None] | None] = [None] * (last + 1)
    for a in range(last, t.lo0 - 1, -1):
        if a + G > last:
            cost, step = 0, None
            opt = -OPT_POINTS if a + c <= last else 0
        else:
            cost, step = W_B + best[a + c], (a + c, None)
            opt = 0
        for b in range(a + g, min(a + G, last) + 1):
            sl = slot[b]
            if sl is not None:
                v = opt + DEV_POINTS * abs(b - a - c) - gain[b] + best[b]
                if v < cost:
                    cost, step = v, (b, sl)
        best[a], nxt[a] = cost, step
    # the first event
    step: tuple[int, int | None] | None
    if t.hi0 > last:
        total, step = 0, None
        opt = -W_B2 if t.asap else (-OPT_POINTS if t.target0 <= last else 0)
    else:
        total = ((W_A if t.first else W_B) + (W_C * (t.due0 - t.lo0) if t.asap else 0)
                 + best[t.due0])
        step, opt = (t.due0, None), 0
    for b in range(t.lo0, min(t.hi0, last) + 1):
        sl = slot[b]
        if sl is not None:
            dev = 0 if t.target0 is None else DEV_POINTS * abs(b - t.target0)
            v = opt + (W_C * (b - t.lo0) if t.asap else 0) + dev - gain[b] + best[b]
            if v < total:
                total, step = v, (b, sl)
    events: Events = []
    while step is not None:
        events.append(step)
        step = nxt[step[0]]
    return total, events


def solve_mentor(p: MentorProblem) -> tuple[str, list[Events], str]:
    """Events per task and how they were found: 'dp', 'greedy' or the CP-SAT status."""
    fast = solve_fast(p)
    return fast if fast is not None else solve_exact(p)


def solve_fast(p: MentorProblem) -> tuple[str, list[Events], str] | None:
    """The DP (one mentee) or the greedy that provably reaches tiers A–C; None when the
    mentor needs the exact model."""
    if len(p.tasks) == 1:
        return p.mid, [_chain(p.tasks[0], p.last)[1]], "dp"
    alone = [_prefix(_chain(t, p.last)[0]) for t in p.tasks]
    order = sorted(range(len(p.tasks)), key=lambda i: (p.tasks[i].n_free(), i))
    taken: set[tuple[int, int]] = set()
    per_day: dict[int, list[int]] = {}
    result: list[Events] = [[] for _ in p.tasks]
    for i in order:
        full = {d for d, v in per_day.items() if len(v) >= MAX_PER_DAY}
        bonus = {d: sum(p.saving[i][j] for j in v) for d, v in per_day.items()}
        cost, events = _chain(p.tasks[i], p.last, taken, full, bonus)
        if _prefix(cost) != alone[i]:
            return None
        result[i] = events
        for d, s in events:
            if s is not None:
                taken.add((d, s))
                per_day.setdefault(d, []).append(i)
    return p.mid, result, "greedy"


def solve_exact(p: MentorProblem) -> tuple[str, list[Events], str]:
    from ortools.sat.python import cp_model  # lazy: it imports pandas (0.2 s)

    last, m = p.last, cp_model.CpModel()
    by_slot: dict[tuple[int, int], list] = {}
    by_day: dict[int, list] = {}
    day_of: list[dict[int, list]] = []  # task -> day -> its slot literals
    tiers: dict[str, list] = {"A": [], "B": [], "B'": [], "C": [], "D": []}
    events_vars = []
    k_total = 0
    for ti, t in enumerate(p.tasks):
        days: dict[int, list] = {}
        day_of.append(days)
        ev = []
        if t.lo0 > last:
            events_vars.append(ev)
            continue
        n_events = (last - t.lo0) // t.g + 1
        k_total += n_events
        for k in range(n_events):
            lo = t.lo0 + k * t.g
            hi = min(last, t.hi0 + k * t.G)
            if lo > hi:
                break
            placed, missed = m.new_bool_var(f"p{ti}_{k}"), m.new_bool_var(f"u{ti}_{k}")
            q = m.new_bool_var(f"q{ti}_{k}")
            m.add(q == placed + missed)
            e = m.new_int_var(lo, hi, f"e{ti}_{k}")
            xs = {}
            top = min(t.hi0, last) if k == 0 else hi
            for d in range(lo, top + 1):
                for s in t.free.get(d, ()):
                    x = m.new_bool_var(f"x{ti}_{k}_{d}_{s}")
                    xs[(d, s)] = x
                    by_slot.setdefault((d, s), []).append(x)
                    by_day.setdefault(d, []).append(x)
                    days.setdefault(d, []).append(x)
            m.add(sum(xs.values()) == placed)
            if xs:
                m.add(e == sum(d * x for (d, _), x in xs.items())).only_enforce_if(placed)
            else:
                m.add(placed == 0)
            if k == 0:
                if t.hi0 <= last:
                    m.add(q == 1)
                    m.add(e == t.due0).only_enforce_if(missed)
                    tiers["A" if t.first else "B"].append(missed)
                else:
                    m.add(missed == 0)
                    if t.asap:
                        tiers["B'"].append(placed)
                    elif t.target0 <= last:
                        tiers["D"].append(-OPT_POINTS * placed)
                if t.asap:
                    ear = m.new_int_var(0, t.hi0 - t.lo0, f"ear{ti}")
                    m.add(ear >= e - t.lo0).only_enforce_if(q)
                    tiers["C"].append(ear)
                if t.target0 is not None:
                    dev = m.new_int_var(0, t.G + t.c, f"dev{ti}_0")
                    m.add(dev >= e - t.target0).only_enforce_if(placed)
                    m.add(dev >= t.target0 - e).only_enforce_if(placed)
                    tiers["D"].append(DEV_POINTS * dev)
            else:
                pe, pq = ev[-1][0], ev[-1][3]
                m.add_implication(q, pq)
                m.add(e - pe >= t.g).only_enforce_if(placed)
                m.add(e - pe <= t.G).only_enforce_if(placed)
                m.add(e == pe + t.c).only_enforce_if(missed)
                m.add(pe <= last - t.G).only_enforce_if(missed)
                tiers["B"].append(missed)
                m.add(pe >= last - t.G + 1).only_enforce_if([pq, q.Not()])
                opt = m.new_bool_var(f"o{ti}_{k}")
                m.add_implication(opt, placed)
                m.add(pe >= last - t.G + 1).only_enforce_if(opt)
                m.add(pe <= last - t.c).only_enforce_if(opt)
                tiers["D"].append(-OPT_POINTS * opt)
                dev = m.new_int_var(0, 2, f"dev{ti}_{k}")
                m.add(dev >= e - pe - t.c).only_enforce_if(placed)
                m.add(dev >= pe + t.c - e).only_enforce_if(placed)
                tiers["D"].append(DEV_POINTS * dev)
            ev.append((e, placed, xs, q))
        if ev:
            m.add(ev[-1][0] >= last - t.G + 1).only_enforce_if(ev[-1][3])
        events_vars.append(ev)
    for xs in by_slot.values():
        if len(xs) > 1:
            m.add_at_most_one(xs)
    for xs in by_day.values():
        if len(xs) > MAX_PER_DAY:
            m.add(sum(xs) <= MAX_PER_DAY)
    save_max = 0
    for i in range(len(p.tasks)):
        for j in range(i + 1, len(p.tasks)):
            for d in set(day_of[i]) & set(day_of[j]):
                z = m.new_bool_var(f"z{i}_{j}_{d}")
                m.add(z <= sum(day_of[i][d]))
                m.add(z <= sum(day_of[j][d]))
                tiers["D"].append(-p.saving[i][j] * z)
                save_max += p.saving[i][j]
    # phase 1: tiers A, B, B', C with weights that make them strictly lexicographic;
    # the per-chain DP optima summed are a lower bound that lets CP-SAT stop early
    span_c = sum(t.hi0 - t.lo0 for t in p.tasks if t.asap) + 1
    w_b2 = span_c
    w_b = w_b2 * (k_total + 1)
    w_a = w_b * (k_total + 1)
    first = (w_a * sum(tiers["A"]) + w_b * sum(tiers["B"]) - w_b2 * sum(tiers["B'"])
             + sum(tiers["C"]))
    bound = [0, 0, 0, 0]
    for t in p.tasks:
        for i, v in enumerate(_split(_prefix(_chain(t, last)[0]))):
            bound[i] += v
    m.add(first >= w_a * bound[0] + w_b * bound[1] + w_b2 * bound[2] + bound[3])
    m.minimize(first)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = p.time_limit
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):  # no time for any solution
        return p.mid, [_all_missed(t, last) for t in p.tasks], solver.status_name(status)
    out = _read(solver, events_vars)
    if status != cp_model.OPTIMAL:
        return p.mid, out, solver.status_name(status)
    # phase 2: tier D with tiers A–C held at their optimum
    m.add(first <= round(solver.objective_value))
    m.clear_hints()
    for ev in events_vars:
        for _, placed, xs, q in ev:
            m.add_hint(q, solver.boolean_value(q))
            m.add_hint(placed, solver.boolean_value(placed))
            for x in xs.values():
                m.add_hint(x, solver.boolean_value(x))
    m.minimize(sum(tiers["D"]))
    solver2 = cp_model.CpSolver()
    solver2.parameters.num_workers = 1
    solver2.parameters.max_time_in_seconds = min(p.time_limit, D_TIME_LIMIT)
    status2 = solver2.solve(m)
    if status2 == cp_model.OPTIMAL:
        return p.mid, _read(solver2, events_vars), "OPTIMAL"
    if status2 == cp_model.FEASIBLE:
        return p.mid, _read(solver2, events_vars), "OPTIMAL_AC"
    return p.mid, out, "OPTIMAL_AC"


def _read(solver, events_vars) -> list[Events]:
    out: list[Events] = []
    for ev in events_vars:
        events: Events = []
        for e, placed, xs, q in ev:
            if not solver.boolean_value(q):
                break
            day = solver.value(e)
            slot = None
            if solver.boolean_value(placed):
                slot = next(s for (d, s), x in xs.items() if solver.boolean_value(x))
            events.append((day, slot))
        out.append(events)
    return out


def _split(prefix: int) -> list[int]:
    """Tiers [A, B, -B', C] of a cost prefix (each tier well inside +-5000)."""
    out = []
    x = prefix
    for _ in range(3):
        r = (x + 5000) % 10_000 - 5000
        out.append(r)
        x = (x - r) // 10_000
    out.append(x)
    return out[::-1]


def _all_missed(t: Task, last: int) -> Events:
    if t.hi0 > last:
        return []
    events: Events = [(t.due0, None)]
    while events[-1][0] + t.G <= last:
        events.append((events[-1][0] + t.c, None))
    return events
