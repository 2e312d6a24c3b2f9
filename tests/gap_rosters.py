"""OR-Library generalised assignment (GAP) instances as rosters: each agent a mentor with a
monthly hour budget (its capacity), each job a returnee, one Pairs row per (returnee,
mentor) with the pair's hours (the resource use) and its affinity (the profit, or C - cost
for minimisation), so that a plan covering everyone maximises affinity exactly as the GAP
optimum does. Everyone stands at one point, so distance never decides anything.

The files (``data/benchmarks/gap``, copied from the OR-Library with its MIT licence): a count P, then per problem ``m n``, m rows
of n costs, m rows of n resource uses, m capacities; ``optima.txt`` holds
``<name>_<Max|Min> lower upper`` (equal when the optimum is known)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from matcher.domain import PairRule, Roster
from tests.builders import mentor, returnee, roster

GAP_DIR = Path(__file__).resolve().parents[1] / "data" / "benchmarks" / "gap"


@dataclass(frozen=True)
class GapInstance:
    name: str  # e.g. c0848_3 (gap8.txt, third problem) or a05100 (gapa.txt, first)
    agents: int
    jobs: int
    cost: list[list[int]]  # [agent][job]
    resource: list[list[int]]  # [agent][job]
    capacity: list[int]  # [agent]


def read_gap(path: Path) -> list[GapInstance]:
    """Every problem of one OR-Library GAP file, named as ``optima.txt`` names them."""
    nums = [int(x) for x in path.read_text().split()]
    count, pos = nums[0], 1
    out = []
    for k in range(count):
        m, n = nums[pos], nums[pos + 1]
        pos += 2
        cost = [nums[pos + i * n: pos + (i + 1) * n] for i in range(m)]
        pos += m * n
        resource = [nums[pos + i * n: pos + (i + 1) * n] for i in range(m)]
        pos += m * n
        capacity = nums[pos: pos + m]
        pos += m
        stem = path.stem[3:]  # gap9 -> 9, gapa -> a
        # types A-D: one size per problem, named by size; gap1-12: c<m><n>_<k>
        name = f"{stem}{m:02d}{n}" if stem.isalpha() else f"c{m:02d}{n}_{k + 1}"
        out.append(GapInstance(name, m, n, cost, resource, capacity))
    return out


def gap_instance(name: str) -> GapInstance:
    """One instance by its ``optima.txt`` name (``c0848_3``, ``c1060_1``, ``a05100``)."""
    for path in sorted(GAP_DIR.glob("gap*.txt")):
        for inst in read_gap(path):
            if inst.name == name:
                return inst
    raise KeyError(name)


def published_optimum(name: str, sense: str) -> tuple[int, int]:
    """(lower, upper) published for ``name`` in ``sense`` ("Max" or "Min")."""
    for line in (GAP_DIR / "optima.txt").read_text().splitlines():
        parts = line.split()
        if parts and parts[0] == f"{name}_{sense}":
            return int(parts[1]), int(parts[2])
    raise KeyError(f"{name}_{sense}")


def offset(inst: GapInstance) -> int:
    """C of a minimisation instance: affinity = C - cost is then positive on every pair."""
    return max(max(row) for row in inst.cost) + 1


def gap_roster(inst: GapInstance, sense: str = "Max", *, time_limit: float = 60.0) -> Roster:
    """The roster of ``inst``: M1 = number of jobs (every GAP job is assigned), and M4 the
    total profit (``sense`` "Max") or jobs x C - total cost ("Min"; see :func:`m4_to_gap`)."""
    c = offset(inst)
    mentors = [mentor(f"A{i + 1:02d}", capacity=inst.jobs,
                      hours_per_month=float(inst.capacity[i])) for i in range(inst.agents)]
    returnees = [returnee(f"J{j + 1:03d}", risk=1) for j in range(inst.jobs)]
    pairs = [PairRule(returnee_id=returnees[j].id, mentor_id=mentors[i].id,
                      affinity=inst.cost[i][j] if sense == "Max" else c - inst.cost[i][j],
                      visit_hours_per_month=float(inst.resource[i][j]),
                      row=2 + i * inst.jobs + j)
             for i in range(inst.agents) for j in range(inst.jobs)]
    return roster(returnees, mentors, pairs=pairs, weight_specialty=0, weight_same_ward=0,
                  weight_spread=0, weight_travel=0, weight_affinity=1,
                  time_limit_s=time_limit)


def m4_to_gap(inst: GapInstance, m4: float, sense: str = "Max") -> float:
    """The GAP objective of a plan covering every job whose M4 is ``m4``."""
    return m4 if sense == "Max" else inst.jobs * offset(inst) - m4
