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


@dataclass
class FlowResult:
    flows: np.ndarray
    max_flow: int
    tier_values: list[int]  # total of each tier's coefficients over the flow (minimised sense)
    stages: int = 1  # groups of tiers solved one after the other
    keep: np.ndarray | None = None  # the arcs given to the solver in the end
    rounds: int = 1


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
                          initial_keep: np.ndarray | None = None) -> FlowResult:
    """Maximum flow from ``source`` to ``sink`` that is lexicographically cheapest over
    ``tier_costs`` (each an integer cost per arc, to be minimised, highest priority first).
    ``tier_ranges[k]`` must bound the spread (max - min) of tier k's total over feasible
    flows; for a tier whose costs have one sign per arc, sum over the tails of max |cost|.

    With ``optional`` (a mask of unit-capacity arcs, e.g. returnee-mentor pairs) and
    ``keep_per_tail``, only the lexicographically cheapest optional arcs of each tail node
    are given to the solver at first. The answer is then *proved* optimal for the full
    network: optimal node potentials of each stage must leave every left-out arc with a
    lexicographically non-negative vector of reduced costs (a combined dual of all stages
    then certifies it); arcs that do not are added and the flow re-solved.
    ``initial_keep`` adds arcs to the first pruned network (e.g. the arcs a closely related
    network ended with), which can spare certificate rounds."""
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
        if initial_keep is not None:
            keep |= initial_keep
    rounds = 0
    flows = added = None
    while True:
        rounds += 1
        idx = np.flatnonzero(keep)
        out = np.flatnonzero(~keep)
        args = (num_nodes, source, sink, tails[idx], heads[idx], caps[idx],
                [c[idx] for c in costs], tails[out], heads[out], [c[out] for c in costs])
        start = None
        if added is not None:
            # a few arcs were added to an optimal flow: re-optimise the first stage only
            # around them; its potentials then certify the result on the whole network,
            # or a full solve follows (later stages are solved over its optimal face)
            start = _local_repair(num_nodes, source, sink, tails[idx], heads[idx],
                                  caps[idx], costs[0][idx], flows[idx],
                                  np.searchsorted(idx, added))
        sub_flows, max_flow, bad = _solve_stages(*args, start=start)
        if start is not None and bad is None:
            log.info("local re-optimisation not certified; solving the whole network")
            sub_flows, max_flow, bad = _solve_stages(*args)
        flows = np.zeros(len(tails), dtype=np.int64)
        flows[idx] = sub_flows
        if keep.all():
            break
        if bad is None or rounds >= 8:
            keep[:] = True  # no certificate: solve the full network
            added = None
            continue
        if len(bad) == 0:
            break
        added = out[bad]
        keep[added] = True
    values = [int(np.dot(flows, c)) for c in tier_costs]
    return FlowResult(flows=flows, max_flow=max_flow, tier_values=values, stages=len(costs),
                      keep=keep, rounds=rounds)


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


def _solve_stages(num_nodes, source, sink, tails, heads, caps, costs, out_t, out_h,
                  out_costs, *, start: np.ndarray | None = None
                  ) -> tuple[np.ndarray, int, np.ndarray | None]:
    """Solve the stages of a lexicographic flow on the given arcs and check the left-out
    arcs (``out_*``) against each stage's potentials. Returns the flows, the flow value and
    the left-out arcs whose reduced costs are lexicographically negative (None when no
    potentials could be computed). ``start``: a feasible flow to certify instead of
    solving the first stage; None is returned for the left-out arcs when it is not
    optimal for that stage."""
    flows = np.zeros(len(tails), dtype=np.int64)
    free = np.ones(len(tails), dtype=bool)  # arcs not yet forced empty or full
    supply = np.zeros(num_nodes, dtype=np.int64)
    tight = np.ones(len(out_t), dtype=bool)  # left-out arcs with zero reduced costs so far
    bad = []
    max_flow = 0
    for g, cost in enumerate(costs):
        fi = np.flatnonzero(free)
        ft, fh, fc, fk = tails[fi], heads[fi], caps[fi], cost[fi]
        if g == 0:
            if start is not None:
                f = start
                max_flow = int(f[ft == source].sum() - f[fh == source].sum())
            else:
                f, max_flow = _solve(num_nodes, source, sink, ft, fh, fc, fk)
            supply[source] += max_flow
            supply[sink] -= max_flow
        else:
            f = _solve_supplies(num_nodes, ft, fh, fc, fk, supply)
        flows[fi] = f
        last = g == len(costs) - 1
        if last and len(out_t) == 0:
            break
        # two optimal duals: distances from a virtual root (largest potentials) and minus
        # distances to a virtual sink (smallest); either certifies; keep the one that
        # leaves fewer left-out arcs with a negative reduced cost
        best = None
        for reverse in (True, False):
            d = _potentials(num_nodes, source, sink, ft, fh, fc, fk, f, max_flow,
                            reverse=reverse, max_flow_arc=g == 0,
                            max_rounds=VERIFY_ROUNDS if start is not None else None)
            if d is None:
                if start is not None:
                    break  # not optimal: no potentials exist, whichever construction
                continue
            rc_out = out_costs[g] + d[out_t] - d[out_h]
            n_bad = int(np.count_nonzero(tight & (rc_out < 0)))
            if best is None or n_bad < best[0]:
                best = (n_bad, d, rc_out)
            if n_bad == 0:
                break
        if best is None:
            return flows, max_flow, None
        _, d, rc_out = best
        bad.append(np.flatnonzero(tight & (rc_out < 0)))
        tight &= rc_out == 0
        if last:
            break
        # the optimal face of this stage: positive reduced cost -> empty, negative -> full
        rc = fk + d[ft] - d[fh]
        full, empty = fi[rc < 0], fi[rc > 0]
        if (flows[full] != caps[full]).any() or flows[empty].any():
            raise RuntimeError("potentials do not match the flow")  # cannot happen
        free[full] = False
        free[empty] = False
        np.add.at(supply, tails[full], -caps[full])
        np.add.at(supply, heads[full], caps[full])
    return flows, max_flow, np.unique(np.concatenate(bad)) if bad else np.zeros(0, np.int64)


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
                  added, hops: int = 4) -> np.ndarray | None:
    """Re-optimise ``flows`` (optimal before the arcs ``added`` were included; they carry
    nothing) near those arcs only: a min-cost circulation on the residual graph of the
    arcs within ``hops`` steps of them (fewer when the region would pass
    :data:`LOCAL_SHARE` of the arcs) plus source and sink, the rest of the flow and the
    flow value fixed. The result is a feasible flow; it is optimal (including its value)
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
        if np.count_nonzero(grown[tails] & grown[heads]) > LOCAL_SHARE * len(tails):
            break
        region = grown
    li = np.flatnonzero(region[tails] & region[heads])
    if len(li) > LOCAL_SHARE * len(tails):
        return None  # hardly local: a full solve is as quick
    nodes = np.flatnonzero(region)
    remap = np.full(num_nodes, -1, dtype=np.int64)
    remap[nodes] = np.arange(len(nodes))
    lt, lh, lc, lf, lk = remap[tails[li]], remap[heads[li]], cost[li], flows[li], caps[li]
    fwd, bwd = np.flatnonzero(lf < lk), np.flatnonzero(lf > 0)
    ut = np.concatenate([lt[fwd], lh[bwd]])
    uh = np.concatenate([lh[fwd], lt[bwd]])
    ucap = np.concatenate([lk[fwd] - lf[fwd], lf[bwd]])
    ucost = np.concatenate([lc[fwd], -lc[bwd]])
    smcf = min_cost_flow.SimpleMinCostFlow()
    smcf.add_arcs_with_capacity_and_unit_cost(ut.astype(np.int32), uh.astype(np.int32),
                                              ucap.astype(np.int64), ucost.astype(np.int64))
    smcf.set_node_supply(len(nodes) - 1, 0)
    if smcf.solve() != smcf.OPTIMAL:
        return None
    g = np.asarray(smcf.flows(np.arange(len(ut), dtype=np.int32)), dtype=np.int64)
    out = flows.copy()
    out[li[fwd]] += g[:len(fwd)]
    out[li[bwd]] -= g[len(fwd):len(fwd) + len(bwd)]
    # feasible by construction; checked anyway, as the certificate assumes it
    net = np.zeros(num_nodes, dtype=np.int64)
    np.add.at(net, tails, -out)
    np.add.at(net, heads, out)
    net[[source, sink]] = 0
    if (out < 0).any() or (out > caps).any() or net.any():
        return None
    return out


LOCAL_SHARE = 0.15  # largest share of the arcs a local re-optimisation may take
# Bellman-Ford rounds allowed when certifying a repaired flow (an optimal flow's settle in
# 20-120 rounds on province networks; a flow that is not optimal never does)
VERIFY_ROUNDS = 250


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
