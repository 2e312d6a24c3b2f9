"""Lexicographic min-cost max-flow on OR-Tools' cost-scaling min-cost-flow solver.

Tiers are combined into one integer cost with weights large enough that a lower tier can
never outweigh one unit of a higher tier; the weights come from proven bounds on each
tier's total. When all tiers together would overflow the solver's 64-bit cost range (the
solver multiplies costs by the number of nodes), the tiers are split into consecutive
groups that each fit, solved one after the other: after a group is optimal, optimal node
potentials describe the set of all its optimal flows (complementary slackness: arcs with
a positive reduced cost carry nothing, arcs with a negative one are full, the rest are
free), and the next group is optimised over that set only. Every tier is therefore exact;
none is dropped or rounded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

log = logging.getLogger(__name__)

# OR-Tools multiplies costs by (num_nodes + 1) internally during cost scaling.
_COST_LIMIT = 2**62
MAX_ROUNDS = 4  # certificate rounds before a stage is solved on all its free arcs
WIDEN = True  # a failed arc also brings its tail's other tight left-out arcs
TIE_SHARE = 0.5  # share of tied optional arcs above which all tied ones are kept (keep_ties)
LOCAL_SHARE = 0.15  # largest share of the arcs a local re-optimisation may take
# a repair tries the local re-optimisation first when it adds at most LOCAL_FIRST arcs to a
# network of at least LOCAL_FIRST_ARCS (on smaller ones the exact routing is as quick as
# checking a local result)
LOCAL_FIRST = 512
LOCAL_FIRST_ARCS = 100_000
# (hops, share of the arcs) of the local re-optimisation's regions, tried in turn
LOCAL_REGIONS = ((4, LOCAL_SHARE), (12, 0.4))
# Bellman-Ford rounds allowed when certifying a locally repaired flow (an optimal flow's
# settle in 20-120 rounds on province networks; a flow that is not optimal never does)
VERIFY_ROUNDS = 250


@dataclass
class FlowResult:
    flows: np.ndarray
    max_flow: int
    tier_values: list[int]  # total of each tier's coefficients over the flow (minimised sense)
    stages: int = 1  # groups of tiers solved one after the other
    keep: np.ndarray | None = None  # the arcs given to the solver in the end
    rounds: int = 0  # certificate rounds, all stages together
    solves: int = 1  # stage solves from scratch (a re-solve after a failed repair counts)
    duals: list[np.ndarray] | None = None  # certified node potentials of each stage, in
    # order, as far as computed (the last stage has none when it was solved unpruned)


def lexicographic_weights(ranges: list[int]) -> list[int]:
    """Weights W_k with W_k > sum_{j>k} W_j * R_j, where R_j bounds the spread (max - min)
    of tier j's total over feasible flows."""
    weights = [1] * len(ranges)
    acc = 0
    for k in range(len(ranges) - 1, -1, -1):
        weights[k] = acc + 1
        acc += weights[k] * int(ranges[k])
    return weights


def lex_max_flow_min_cost(num_nodes: int, source: int, sink: int, tails: np.ndarray,
                          heads: np.ndarray, caps: np.ndarray, tier_costs: list[np.ndarray],
                          tier_ranges: list[int], *, optional: np.ndarray | None = None,
                          keep_per_tail: int = 0,
                          initial_keep: np.ndarray | None = None,
                          keep_ties: bool = False,
                          warm: FlowResult | None = None,
                          flow_value: int | None = None) -> FlowResult:
    """Maximum flow from ``source`` to ``sink`` that is lexicographically cheapest over
    ``tier_costs`` (each an integer cost per arc, to be minimised, highest priority first).
    ``tier_ranges[k]`` must bound the spread (max - min) of tier k's total over feasible
    flows; for a tier whose costs have one sign per arc, sum over the tails of max |cost|.

    With ``optional`` (a mask of unit-capacity arcs, e.g. returnee-mentor pairs) and
    ``keep_per_tail``, only the lexicographically cheapest optional arcs of each tail node
    are given to the solver at first. The answer is then *proved* optimal for the full
    network, one stage at a time: optimal node potentials of a stage must leave every
    left-out arc that is still free in that stage (zero reduced cost in every earlier
    stage) with a non-negative reduced cost; arcs that do not are added and that stage
    alone is re-optimised (a combined dual of all stages then certifies the whole).
    ``initial_keep`` adds arcs to the first pruned network (e.g. the arcs a closely related
    network ended with), which can spare certificate rounds. With ``keep_ties``, a first
    stage whose costs tie most left-out arcs with the kept ones keeps all tied arcs from
    the start (the mentor flow: its few distinct costs made certificate rounds add ties a
    few hundred at a time; the placement flow certifies faster without).

    ``warm``: the result for the same arcs and costs before some capacities were lowered
    (e.g. arcs forbidden with capacity 0). Its flow, cut back to the new capacities, keeps
    complementary slackness with its first stage's certified potentials; the units cut
    off are routed back at least reduced cost (all non-negative) instead of solving the
    first stage afresh, which gives an optimal first stage for the same reason as
    :func:`_route_excess`. The certificate then runs as usual.

    ``flow_value``: the flow must be exactly this (e.g. a bypass arc from source to sink
    lets every unit through, and costs alone decide where they go) instead of maximum;
    the first stage is then a min-cost flow like the later ones, and its potentials need
    no price on the flow value (one far larger than any cost, which makes re-routing a
    few units take as long as a solve)."""
    tails = np.asarray(tails, dtype=np.int64)
    heads = np.asarray(heads, dtype=np.int64)
    caps = np.asarray(caps, dtype=np.int64)
    costs = [_combined(tier_costs[a:b], tier_ranges[a:b])
             for a, b in _tier_groups(num_nodes, tier_costs, tier_ranges)]
    if len(costs) > 1:
        log.info("lexicographic flow in %d stages (cost range too wide for one)", len(costs))
    keep = np.ones(len(tails), dtype=bool)
    if optional is not None and keep_per_tail and optional.sum() > keep_per_tail * 4:
        # the stages' costs order each tail's arcs lexicographically over every tier
        keep = ~optional | _cheapest_per_group(tails, costs, optional, keep_per_tail)
        if keep_ties:
            keep |= _ties(num_nodes, tails, costs[0], optional, keep)
        if initial_keep is not None:
            keep |= initial_keep
    flows = np.zeros(len(tails), dtype=np.int64)
    free = np.ones(len(tails), dtype=bool)  # arcs not forced empty or full by a stage
    supply = np.zeros(num_nodes, dtype=np.int64)  # what the free arcs must carry
    max_flow = 0
    if flow_value is not None:
        max_flow = flow_value
        supply[source], supply[sink] = flow_value, -flow_value
    rounds = solves = 0
    duals: list[np.ndarray] = []
    for g, cost in enumerate(costs):
        last = g == len(costs) - 1
        stage = _Stage(num_nodes, source, sink, tails, heads, caps, cost, free, supply,
                       first=g == 0 and flow_value is None)
        started = None
        if g == 0 and warm is not None and warm.duals:
            keep |= warm.flows > 0
            started = stage.warm_start(keep, warm.flows, warm.max_flow, warm.duals[0])
        if started is None:
            f, value = stage.solve(keep)
            solves += 1
            d = bad = None
        else:
            f, value, d, bad = started
        stage_rounds = 0
        # certificate rounds of this stage: left-out free arcs that its potentials leave
        # with a negative reduced cost are added and the stage alone re-optimised
        while not (last and keep[free].all()):
            if d is None:
                d, bad = stage.potentials(f, value, keep)
                if d is None:
                    raise RuntimeError("no potentials for an optimal flow")  # cannot happen
            if len(bad) == 0:
                break
            rounds += 1
            stage_rounds += 1
            keep[bad] = True
            if WIDEN:
                # their tails' other left-out free arcs that the potentials leave tight
                # too: ties are common, and the next rounds would likely want them
                tail_bad = np.zeros(num_nodes, dtype=bool)
                tail_bad[tails[bad]] = True
                near = np.flatnonzero(free & ~keep & tail_bad[tails])
                near = near[cost[near] + d[tails[near]] - d[heads[near]] <= 0]
                log.info("stage %d round %d: %d bad arcs, %d tight ones of their tails",
                         g + 1, stage_rounds, len(bad), len(near))
                keep[near] = True
            # Earlier stages stay certified: their potentials are optimal duals of the
            # whole network (every left-out arc has a non-negative reduced cost under
            # them), and adding arcs changes neither the potentials nor those reduced
            # costs. The added arcs are free (zero reduced cost in every earlier stage),
            # so any flow of this stage's network, whatever it puts on them, keeps
            # complementary slackness with each earlier stage's potentials: it stays on
            # their optimal face, and their tier values cannot change.
            if stage_rounds >= MAX_ROUNDS:
                keep |= free  # no certificate in sight: the stage on all its free arcs
            else:
                repaired = stage.repair(f, value, keep, bad, d)
                if repaired is not None:
                    f, value, d, bad = repaired
                    continue
                log.info("local re-optimisation not certified; solving the stage again")
            f, value = stage.solve(keep)
            solves += 1
            d = bad = None
        flows[stage.idx] = f
        if stage.first:
            max_flow = value
        if d is not None:
            duals.append(d)
        if last:
            break
        # the optimal face of this stage: positive reduced cost -> empty, negative -> full
        # (a left-out arc has none negative: it stays empty)
        rc = cost + d[tails] - d[heads]
        full = free & (rc < 0)
        if (~keep[full]).any() or (flows[full] != caps[full]).any() or \
                flows[free & (rc > 0)].any():
            raise RuntimeError("potentials do not match the flow")  # cannot happen
        if stage.first:
            supply[source] += max_flow
            supply[sink] -= max_flow
        np.add.at(supply, tails[full], -caps[full])
        np.add.at(supply, heads[full], caps[full])
        free &= rc == 0
    values = [int(np.dot(flows, c)) for c in tier_costs]
    return FlowResult(flows=flows, max_flow=max_flow, tier_values=values, stages=len(costs),
                      keep=keep, rounds=rounds, solves=solves, duals=duals)



class _Stage:
    """One group of tiers: a min-cost flow over the arcs still ``free`` (the first stage:
    maximum flow; later ones: the node ``supply`` exactly), on the kept arcs only."""

    def __init__(self, num_nodes, source, sink, tails, heads, caps, cost, free, supply,
                 first):
        self.n, self.s, self.t = num_nodes, source, sink
        self.tails, self.heads, self.caps, self.cost = tails, heads, caps, cost
        self.free, self.supply, self.first = free, supply.copy(), first
        self.idx = np.zeros(0, dtype=np.int64)

    def _arcs(self, keep):
        self.idx = np.flatnonzero(keep & self.free)
        i = self.idx
        return self.tails[i], self.heads[i], self.caps[i], self.cost[i]

    def solve(self, keep) -> tuple[np.ndarray, int]:
        t, h, c, k = self._arcs(keep)
        if self.first:
            return _solve(self.n, self.s, self.t, t, h, c, k)
        return _solve_supplies(self.n, t, h, c, k, self.supply), 0

    def warm_start(self, keep, old_flows, old_value, d):
        """The first stage's optimal flow (over ``self.idx``) from ``old_flows``, optimal
        with potentials ``d`` before capacities were lowered (see
        :func:`lex_max_flow_min_cost`): (flows, flow value, potentials, left-out arcs they
        leave with a negative reduced cost), the last two None when not computed; or None
        when that does not hold or the routing's costs do not fit the solver."""
        t, h, c, k = self._arcs(keep)
        old = old_flows[self.idx]
        f = np.minimum(old, c)
        cut = old - f
        rc = k + d[t] - d[h]
        if (rc[f < c] < 0).any() or (rc[f > 0] > 0).any():
            return None  # not the potentials of that flow
        supply = np.zeros(self.n, dtype=np.int64)
        np.add.at(supply, t, cut)
        np.add.at(supply, h, -cut)
        # first near the cut arcs only (the solver takes seconds on a whole national
        # network even for a few units), counted when potentials then certify it
        if len(t) >= LOCAL_FIRST_ARCS:
            local = self.local(keep, f, np.flatnonzero(cut), old_value, supply)
            if local is not None:
                return local
        # Residual arcs dearer than the solver's range are left out (potentials that
        # price the flow value make some huge); the routing found is still optimal when
        # it costs no more than the cheapest arc left out, as every reduced cost is >= 0
        limit = _COST_LIMIT // (4 * (self.n + 2))
        extra = None
        if self.first:  # the flow value may drop (source -> sink takes a unit back)
            extra = (np.array([self.t, self.s]), np.array([self.s, self.t]),
                     np.array([int(c[t == self.s].sum()), old_value]),
                     np.zeros(2, dtype=np.int64))
        res = _residual_flow(self.n, t, h, c, rc, f, (f < c) & (rc <= limit),
                             (f > 0) & (-rc <= limit), supply, extra)
        if res is None:
            return None
        g, moved = res
        if int(np.dot(g - f, rc)) > limit:
            return None
        value = old_value + int(moved[0]) - int(moved[1]) if self.first else old_value
        return g, value, None, None

    def local(self, keep, f, seeds, value, supply=None):
        """A local re-optimisation of ``f`` around the arcs ``seeds`` (see
        :func:`_local_repair`), in a wider region when the first is not certified:
        (flows, flow value, potentials, left-out arcs they leave with a negative reduced
        cost), or None when neither is certified."""
        t, h, c, k = self.tails[self.idx], self.heads[self.idx], self.caps[self.idx], \
            self.cost[self.idx]
        for hops, share in LOCAL_REGIONS:
            start = _local_repair(self.n, self.s, self.t, t, h, c, k, f, seeds, hops=hops,
                                  supply=supply, share=share)
            if start is None:
                continue
            if self.first and supply is None:
                value = int(start[t == self.s].sum() - start[h == self.s].sum())
            d, bad = self.potentials(start, value, keep, max_rounds=VERIFY_ROUNDS)
            if d is not None:
                return start, value, d, bad
        return None

    def potentials(self, f, max_flow, keep, max_rounds=None):
        """Node potentials of the optimal flow ``f`` (over ``self.idx``) and the left-out
        free arcs they leave with a negative reduced cost; of the two constructions
        (largest and smallest potentials), the one that leaves fewer. (None, None) when
        none settle within ``max_rounds``."""
        i = self.idx
        out = np.flatnonzero(self.free & ~keep)
        best = None
        for reverse in (True, False):
            d = _potentials(self.n, self.s, self.t, self.tails[i], self.heads[i],
                            self.caps[i], self.cost[i], f, max_flow, reverse=reverse,
                            max_flow_arc=self.first, max_rounds=max_rounds)
            if d is None:
                if max_rounds is not None:
                    break  # not optimal: no potentials exist, whichever construction
                continue
            bad = out[self.cost[out] + d[self.tails[out]] - d[self.heads[out]] < 0]
            if best is None or len(bad) < len(best[1]):
                best = (d, bad)
            if len(bad) == 0 or not len(out):
                break
        return best if best is not None else (None, None)

    def repair(self, f, max_flow, keep, added, d):
        """Re-optimise ``f`` (optimal before the arcs ``added`` joined ``keep``, with
        potentials ``d``) for the enlarged network: (flows, flow value, potentials,
        left-out free arcs they leave with a negative reduced cost), or None. The exact
        routing of the added arcs' excess; a local re-optimisation, which counts only if
        potentials then certify it, before it when the added arcs are few (the solver
        takes seconds on a whole national network even for a few units) and after it
        when its costs do not fit the solver."""
        old = self.idx
        t, h, c, k = self._arcs(keep)
        g = np.zeros(len(self.idx), dtype=np.int64)
        g[np.searchsorted(self.idx, old)] = f

        seeds = np.searchsorted(self.idx, added)
        few = len(added) <= LOCAL_FIRST and len(t) >= LOCAL_FIRST_ARCS
        if few and (res := self.local(keep, g, seeds, max_flow)) is not None:
            return res
        routed = _route_excess(self.n, self.s, self.t, t, h, c, k, g, max_flow, d,
                               self.first)
        if routed is not None:
            start, flow = routed
            d, bad = self.potentials(start, flow, keep)
            return (start, flow, d, bad) if d is not None else None
        return None if few else self.local(keep, g, seeds, max_flow)



def _route_excess(num_nodes, source, sink, tails, heads, caps, cost, flows, max_flow, d,
                  max_flow_arc):
    """The optimal flow of a network whose arcs all satisfy complementary slackness with
    the potentials ``d`` under ``flows`` except some empty ones with a negative reduced
    cost (arcs just added). Those are filled, and the excess this leaves at their heads
    routed back to their tails at least cost in the residual graph, under reduced
    costs, which are then all non-negative. Any feasible flow of the network is ``flows``
    plus such a routing, and reduced costs change every flow's cost by the same
    constant, so the least-cost routing gives an optimal flow. Filling an arc and
    routing its unit straight back over it costs ``B``, the sum of the violations, so no
    arc of reduced cost above ``B`` is used; those are left out. With ``max_flow_arc``
    the flow value may grow: a return arc from sink to source (reduced cost 0 under
    potentials made with one). None when the costs do not fit the solver."""
    rc = cost + d[tails] - d[heads]
    neg = rc < 0
    f = flows.copy()
    f[neg] = caps[neg]
    delta = f - flows
    budget = int(-(rc[neg] * delta[neg]).sum())
    if budget * 4 * (num_nodes + 2) >= _COST_LIMIT:
        return None
    supply = np.zeros(num_nodes, dtype=np.int64)
    np.add.at(supply, heads, delta)
    np.add.at(supply, tails, -delta)
    extra = None
    if max_flow_arc:  # sink -> source adds flow value, source -> sink takes it back
        extra = (np.array([sink, source]), np.array([source, sink]),
                 np.array([int(caps[tails == source].sum()), max_flow]),
                 np.zeros(2, dtype=np.int64))
    res = _residual_flow(num_nodes, tails, heads, caps, rc, f, (f < caps) & (rc <= budget),
                         (f > 0) & (-rc <= budget), supply, extra)
    if res is None:
        return None
    f, g = res
    if max_flow_arc:
        max_flow += int(g[0]) - int(g[1])
    return f, max_flow


def _residual_flow(num_nodes, tails, heads, caps, cost, flows, fwd, bwd, supply=None,
                   extra=None) -> tuple[np.ndarray, np.ndarray] | None:
    """A least-cost flow meeting ``supply`` (None: a circulation) in the residual graph of
    ``flows``: arcs with mask ``fwd`` forward at ``cost`` (room ``caps - flows``), arcs
    with mask ``bwd`` backward at ``-cost`` (room ``flows``), plus ``extra`` arcs (tails,
    heads, caps, costs). Returns the new flows and the flows on the extra arcs, or None
    when the solver finds no optimum."""
    fwd, bwd = np.flatnonzero(fwd), np.flatnonzero(bwd)
    parts = [(tails[fwd], heads[fwd], caps[fwd] - flows[fwd], cost[fwd]),
             (heads[bwd], tails[bwd], flows[bwd], -cost[bwd])]
    if extra is not None:
        parts.append(extra)
    ut, uh, ucap, ucost = (np.concatenate([p[i] for p in parts]) for i in range(4))
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(ut.astype(np.int32), uh.astype(np.int32),
                                              ucap.astype(np.int64), ucost.astype(np.int64))
    if supply is not None:
        smcf.set_nodes_supplies(np.arange(num_nodes, dtype=np.int32), supply)
    else:
        smcf.set_node_supply(num_nodes - 1, 0)  # every node exists, even without arcs
    if smcf.solve() != smcf.OPTIMAL:
        return None
    g = np.asarray(smcf.flows(np.arange(len(ut), dtype=np.int32)), dtype=np.int64)
    out = flows.copy()
    out[fwd] += g[:len(fwd)]
    out[bwd] -= g[len(fwd):len(fwd) + len(bwd)]
    return out, g[len(fwd) + len(bwd):]


def _ties(num_nodes, tails, cost, optional, keep) -> np.ndarray:
    """The optional arcs whose first-stage cost ties with (or beats) the dearest kept one
    of their tail, when they are more than :data:`TIE_SHARE` of the optional arcs (else
    none): a first stage with few distinct costs then hinges on many of them, and
    certificate rounds that add them a few hundred at a time cost more than one solve
    with all of them."""
    kth = np.full(num_nodes, np.iinfo(np.int64).min)
    kept = np.flatnonzero(optional & keep)
    np.maximum.at(kth, tails[kept], cost[kept])
    tied = optional & (cost <= kth[tails])
    if tied.sum() <= TIE_SHARE * optional.sum():
        return np.zeros(len(tails), dtype=bool)
    log.info("first stage: %d of %d optional arcs tie with the kept ones; keeping them all",
             int(tied.sum()), int(optional.sum()))
    return tied


def _tier_groups(num_nodes: int, tier_costs: list[np.ndarray],
                 tier_ranges: list[int]) -> list[tuple[int, int]]:
    """Consecutive groups of tiers whose combined cost fits the solver's range."""
    groups = []
    a = 0
    while a < len(tier_costs):
        b = a + 1
        while b < len(tier_costs) and _fits(num_nodes, tier_costs[a:b + 1],
                                            tier_ranges[a:b + 1]):
            b += 1
        groups.append((a, b))
        a = b
    return groups


def _fits(num_nodes: int, tier_costs: list[np.ndarray], tier_ranges: list[int]) -> bool:
    weights = lexicographic_weights(tier_ranges)
    magnitude = sum(w * int(np.abs(c).max(initial=0)) for w, c in zip(weights, tier_costs))
    return magnitude * 4 * (num_nodes + 2) < _COST_LIMIT


def _combined(tier_costs: list[np.ndarray], tier_ranges: list[int]) -> np.ndarray:
    cost = np.zeros(len(tier_costs[0]), dtype=np.int64)
    for w, c in zip(lexicographic_weights(tier_ranges), tier_costs):
        cost += np.int64(w) * np.asarray(c, dtype=np.int64)
    return cost


def _cheapest_per_group(tails: np.ndarray, costs: list[np.ndarray], optional: np.ndarray,
                        k: int) -> np.ndarray:
    """The ``k`` optional arcs of each tail that come first in the lexicographic order of
    ``costs`` (most important first)."""
    idx = np.flatnonzero(optional)
    keys = [c[idx] for c in costs[::-1]] + [tails[idx]]
    order = idx[np.lexsort(keys)]
    t = tails[order]
    rank = np.arange(len(order)) - np.searchsorted(t, t)
    keep = np.zeros(len(tails), dtype=bool)
    keep[order[rank < k]] = True
    return keep


def _solve(num_nodes, source, sink, tails, heads, caps, cost) -> tuple[np.ndarray, int]:
    smcf = min_cost_flow.SimpleMinCostFlow()
    if len(tails):
        smcf.add_arcs_with_capacity_and_unit_cost(tails.astype(np.int32),
                                                  heads.astype(np.int32), caps, cost)
    # solve_max_flow_with_min_cost sends as much as it can from positive-supply nodes to
    # negative-supply nodes: offer everything the source's arcs can carry
    out_cap = int(caps[tails == source].sum()) if len(tails) else 0
    smcf.set_node_supply(max(source, sink, num_nodes - 1), 0)
    smcf.set_node_supply(source, out_cap)
    smcf.set_node_supply(sink, -out_cap)
    status = smcf.solve_max_flow_with_min_cost()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    flows = smcf.flows(np.arange(len(tails), dtype=np.int32)) if len(tails) else \
        np.zeros(0, dtype=np.int64)
    return np.asarray(flows, dtype=np.int64), int(smcf.maximum_flow())


def _solve_supplies(num_nodes, tails, heads, caps, cost, supply) -> np.ndarray:
    """Min-cost flow meeting the node supplies exactly (they are feasible: a flow meeting
    them is known)."""
    smcf = min_cost_flow.SimpleMinCostFlow()
    if len(tails):
        smcf.add_arcs_with_capacity_and_unit_cost(tails.astype(np.int32),
                                                  heads.astype(np.int32), caps, cost)
    smcf.set_nodes_supplies(np.arange(num_nodes, dtype=np.int32), supply)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow failed with status {status}")
    if not len(tails):
        return np.zeros(0, dtype=np.int64)
    return np.asarray(smcf.flows(np.arange(len(tails), dtype=np.int32)), dtype=np.int64)


def _local_repair(num_nodes, source, sink, tails, heads, caps, cost, flows,
                  added, hops: int = 4, supply: np.ndarray | None = None,
                  share: float = LOCAL_SHARE) -> np.ndarray | None:
    """Re-optimise ``flows`` (optimal before the arcs ``added`` were included; they carry
    nothing) near those arcs only: a min-cost circulation on the residual graph of the
    arcs within ``hops`` steps of them (fewer when the region would pass
    ``share`` of the arcs) plus source and sink, the rest of the flow and the
    flow value fixed. With ``supply`` (node excesses of ``flows``, e.g. units cut off
    arcs whose capacity dropped; ``added`` are then those arcs) the local problem routes
    them instead. The result is a feasible flow; it is optimal (including its value)
    only if node potentials then exist, which the caller checks. None when the region is
    not local or the local problem cannot be solved."""
    region = np.zeros(num_nodes, dtype=bool)
    region[tails[added]] = True
    region[heads[added]] = True
    inner = (tails != source) & (tails != sink) & (heads != source) & (heads != sink)
    region[[source, sink]] = True
    for _ in range(hops):
        touch = inner & (region[tails] | region[heads])
        grown = region.copy()
        grown[tails[touch]] = True
        grown[heads[touch]] = True
        if np.count_nonzero(grown[tails] & grown[heads]) > share * len(tails):
            break
        region = grown
    li = np.flatnonzero(region[tails] & region[heads])
    if len(li) > share * len(tails):
        return None  # hardly local: a full solve is as quick
    nodes = np.flatnonzero(region)
    remap = np.full(num_nodes, -1, dtype=np.int64)
    remap[nodes] = np.arange(len(nodes))
    if supply is not None and supply[~region].any():
        return None  # an excess the region does not reach
    lf, lk = flows[li], caps[li]
    res = _residual_flow(len(nodes), remap[tails[li]], remap[heads[li]], lk, cost[li], lf,
                         lf < lk, lf > 0, None if supply is None else supply[nodes])
    if res is None:
        return None
    out = flows.copy()
    out[li] = res[0]
    # feasible by construction; checked anyway, as the certificate assumes it
    net = np.zeros(num_nodes, dtype=np.int64)
    np.add.at(net, tails, -out)
    np.add.at(net, heads, out)
    net[[source, sink]] = 0
    if (out < 0).any() or (out > caps).any() or net.any():
        return None
    return out



def _potentials(num_nodes, source, sink, tails, heads, caps, cost, flows,
                max_flow, *, reverse: bool = False, max_flow_arc: bool = True,
                max_rounds: int | None = None) -> np.ndarray | None:
    """Node potentials of an optimal flow: shortest distances from a virtual root in the
    residual graph (or, with ``reverse``, minus the distances to a virtual sink), by a
    vectorised Bellman-Ford that relaxes only arcs whose end improved. They exist because
    the flow is optimal; they certify optimality for any arc whose reduced cost they leave
    non-negative. With ``max_flow_arc`` the flow value is part of the objective (a return
    arc of cost -BIG from sink to source); without, it is fixed."""
    big = (num_nodes + 2) * (int(np.abs(cost).max(initial=0)) + 1)
    fwd = flows < caps
    bwd = flows > 0
    ret = max_flow_arc
    u = np.concatenate([tails[fwd], heads[bwd], [sink] if ret else [],
                        [source] if ret and max_flow else []])
    v = np.concatenate([heads[fwd], tails[bwd], [source] if ret else [],
                        [sink] if ret and max_flow else []])
    c = np.concatenate([cost[fwd], -cost[bwd], [-big] if ret else [],
                        [big] if ret and max_flow else []])
    u, v, c = u.astype(np.int64), v.astype(np.int64), c.astype(np.int64)
    if reverse:  # distances to the sink are distances from it in the reversed graph
        d = _bellman_ford(num_nodes, v, u, c, max_rounds)
        return None if d is None else -d
    return _bellman_ford(num_nodes, u, v, c, max_rounds)


def _bellman_ford(num_nodes: int, u: np.ndarray, v: np.ndarray, c: np.ndarray,
                  max_rounds: int | None = None) -> np.ndarray | None:
    """Shortest distances from a virtual root joined to every node at cost 0, or None
    when they do not settle (a negative cycle: the flow is not optimal) within
    ``max_rounds`` rounds."""
    d = np.zeros(num_nodes, dtype=np.int64)
    active = np.ones(num_nodes, dtype=bool)
    for _ in range(max_rounds or 20 * num_nodes + 10):
        sel = np.flatnonzero(active[u])
        if len(sel) == 0:
            return d
        cand = d[u[sel]] + c[sel]
        better = cand < d[v[sel]]
        if not better.any():
            return d
        nd = d.copy()
        np.minimum.at(nd, v[sel][better], cand[better])
        active = nd < d
        d = nd
    return None
