"""The prepared problem the solver stages share: the candidate pairs of a roster
(:class:`Context`, :func:`build_context`), the solution records of the mentor and placement
stages, the tiers' units and names, and the helpers both stages use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from matcher import forked
from matcher.domain import Roster
from matcher.plan import Tier, UnmetRequire
from matcher.rules import (
    MentorArcs,
    People,
    PlacementArcs,
    job_arcs,
    mentor_arcs,
    people_arrays,
    training_arcs,
)

Progress = Callable[[float, str], None]
TRAVEL_UNITS_PER_KM = 100  # travel and commute are optimised in units of 10 m
MENTOR_TIERS = ("M1", "M2", "M3", "M4", "M5")
# CP-SAT repairs of a region short of whole components give these at most 2 s each (a
# whole-component mentor repair gives them all the time left)
LOWER_TIERS = ("M4", "M5", "J4", "J5")
PLACEMENT_TIERS = ("J1", "J2", "J3", "J4", "J5")


HOURS_SCALE = 10000  # CP-SAT works in 1/10000 of an hour
PARALLEL_MIN_RETURNEES = 300  # below this a second process costs more than it saves


@dataclass
class Context:
    """Everything derived from the roster that the solver, explanations and alternatives
    share, computed once."""

    roster: Roster
    people: People
    marcs: MentorArcs
    jarcs: PlacementArcs
    tarcs: PlacementArcs
    notes: list[str] = field(default_factory=list)  # require rows that could not be honoured
    stats: dict = field(default_factory=dict)
    # (returnee id, "mentor" | "job" | "training") -> why its require rows could not be met
    require_failures: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    unmet: list[UnmetRequire] = field(default_factory=list)
    _cache: dict = field(default_factory=dict, repr=False)

    def cached(self, key: str, make: Callable[[], Any]) -> Any:
        """``make()`` once per context (indexes and lookups the explanations share)."""
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]


def build_context(roster: Roster, *, parallel: bool = False) -> Context:
    """Candidate pairs of ``roster``; with ``parallel`` (and a roster big enough to gain)
    the job and course pairs are built in a forked child while this process builds the
    mentor pairs."""
    p = people_arrays(roster)
    placements = forked.start(lambda: (job_arcs(roster, p), training_arcs(roster, p)),
                              parallel=parallel and len(roster.returnees)
                              >= PARALLEL_MIN_RETURNEES)
    marcs = mentor_arcs(roster, p)
    jarcs, tarcs = placements.result()
    return Context(roster, p, marcs, jarcs, tarcs)


@dataclass
class MentorSolution:
    mentor_of: np.ndarray  # per returnee: mentor index or -1
    arc_of: np.ndarray  # per returnee: index into ctx.marcs or -1
    tiers: dict[str, Tier]
    status: str


def _group_nodes(grp: np.ndarray, target: np.ndarray, target_node: np.ndarray,
                 head: np.ndarray, extra_t: list, extra_h: list, next_node: int) -> int:
    """Co-offenders through one (target, group) node of capacity 1: pair arcs of group
    members that share a target are redirected (in ``head``) to that node, whose single
    arc to the target is appended to ``extra_t``/``extra_h``. Returns the next free node."""
    gi = np.flatnonzero(grp >= 0)
    if len(gi) == 0:
        return next_node
    gmax = int(grp.max()) + 1
    keys = target[gi].astype(np.int64) * gmax + grp[gi]
    _uniq, inv, counts = np.unique(keys, return_inverse=True, return_counts=True)
    shared = counts[inv] >= 2
    if not shared.any():
        return next_node
    sel = gi[shared]
    u_sel, u_inv = np.unique(keys[shared], return_inverse=True)
    g_nodes = next_node + np.arange(len(u_sel))
    head[sel] = g_nodes[u_inv]
    extra_t.append(g_nodes)
    extra_h.append(target_node[(u_sel // gmax).astype(np.int64)])
    return next_node + len(u_sel)


def _against_relaxation(names: tuple[str, ...], values: dict[str, float],
                        relaxed: dict[str, float], proofs: dict[str, bool] | None = None
                        ) -> tuple[dict[str, float | None], dict[str, bool]]:
    """Bounds and proofs of a solution's tiers against a lexicographic relaxation: a tier
    is bounded by the relaxation's value while every higher tier equals the relaxation's,
    and proved when it meets that bound (or by ``proofs``, e.g. CP-SAT's own over whole
    components) while every higher tier is proved."""
    bounds: dict[str, float | None] = {}
    proved: dict[str, bool] = {}
    tight = valid = True
    for name in names:
        meets = abs(values[name] - relaxed[name]) < 1e-6
        proved[name] = bool(tight and ((valid and meets) or (proofs or {}).get(name, False)))
        bounds[name] = values[name] if proved[name] else (relaxed[name] if valid else None)
        tight, valid = tight and proved[name], valid and meets
    return bounds, proved


@dataclass
class PlacementSolution:
    job_of: np.ndarray  # arc index into ctx.jarcs per returnee or -1
    training_of: np.ndarray  # arc index into ctx.tarcs per returnee or -1
    tiers: dict[str, Tier]
