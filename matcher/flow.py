"""Lexicographic min-cost max-flow on OR-Tools' network simplex-free cost-scaling solver.

Tiers are combined into one integer cost with weights large enough that a lower tier can
never outweigh one unit of a higher tier; the weights come from proven bounds on each
tier's total, so the optimum of the combined cost is exactly the lexicographic optimum.
If the combined cost would overflow the solver's 64-bit range, the lowest tiers are
dropped (and reported as not optimised) rather than silently rounded.
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
    dropped: int  # number of lowest tiers that could not be included
    arcs_used: int = 0  # arcs given to the solver (after pruning with a certificate)
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
                          keep_per_tail: int = 0) -> FlowResult:
    """Maximum flow from ``source`` to ``sink`` that is lexicographically cheapest over
    ``tier_costs`` (each an integer cost per arc, to be minimised, highest priority first).
    ``tier_ranges[k]`` must bound the spread (max - min) of tier k's total over feasible
    flows; for a tier whose costs have one sign per arc, sum over the tails of max |cost|.

    With ``optional`` (a mask of unit-capacity arcs, e.g. returnee-mentor pairs) and
    ``keep_per_tail``, only the cheapest optional arcs of each tail node are given to the
    solver at first. The answer is then *proved* optimal for the full network: node
    potentials of the pruned optimum (shortest distances in its residual graph, the
    max-flow requirement being a return arc of cost -BIG) must leave every left-out arc
    with a non-negative reduced cost; arcs that do not are added and the flow re-solved."""
    tails = np.asarray(tails, dtype=np.int64)
    heads = np.asarray(heads, dtype=np.int64)
    caps = np.asarray(caps, dtype=np.int64)
    cost, dropped = _combined_cost(num_nodes, tails, tier_costs, tier_ranges)
    keep = np.ones(len(tails), dtype=bool)
    if optional is not None and keep_per_tail and optional.sum() > keep_per_tail * 4:
        keep = ~optional | _cheapest_per_group(tails, cost, optional, keep_per_tail)
    rounds = 0
    while True:
        rounds += 1
        idx = np.flatnonzero(keep)
        sub_flows, max_flow = _solve(num_nodes, source, sink, tails[idx], heads[idx],
                                     caps[idx], cost[idx])
        flows = np.zeros(len(tails), dtype=np.int64)
        flows[idx] = sub_flows
        if keep.all():
            break
        out = np.flatnonzero(~keep)
        bad = None
        # two optimal duals: distances from a virtual root (largest potentials) and minus
        # distances to a virtual sink (smallest); either certifies; keep the one that
        # leaves fewer left-out arcs with a negative reduced cost
        for reverse in (True, False):
            d = _potentials(num_nodes, source, sink, tails[idx], heads[idx], caps[idx],
                            cost[idx], sub_flows, max_flow, reverse=reverse)
            if d is None:
                continue
            viol = out[cost[out] + d[tails[out]] - d[heads[out]] < 0]
            if bad is None or len(viol) < len(bad):
                bad = viol
            if len(bad) == 0:
                break
        if bad is None or rounds >= 8:
            keep[:] = True  # no certificate: solve the full network
            continue
        if len(bad) == 0:
            break
        keep[bad] = True
    values = [int(np.dot(flows, c)) for c in tier_costs]
    return FlowResult(flows=flows, max_flow=max_flow, tier_values=values, dropped=dropped,
                      arcs_used=int(keep.sum()), rounds=rounds)


def _combined_cost(num_nodes: int, tails: np.ndarray, tier_costs: list[np.ndarray],
                   tier_ranges: list[int]) -> tuple[np.ndarray, int]:
    dropped = 0
    while True:
        use = len(tier_costs) - dropped
        weights = lexicographic_weights(tier_ranges[:use])
        magnitude = 0
        for w, c in zip(weights, tier_costs[:use]):
            magnitude += w * int(np.abs(c).max(initial=0))
        if magnitude * 4 * (num_nodes + 2) < _COST_LIMIT or use == 0:
            cost = np.zeros(len(tails), dtype=np.int64)
            for w, c in zip(weights, tier_costs[:use]):
                cost += np.int64(w) * np.asarray(c, dtype=np.int64)
            return cost, dropped
        dropped += 1
        log.warning("cost range too wide for one flow; dropping tier %d", use - 1)


def _cheapest_per_group(tails: np.ndarray, cost: np.ndarray, optional: np.ndarray,
                        k: int) -> np.ndarray:
    idx = np.flatnonzero(optional)
    order = idx[np.lexsort((cost[idx], tails[idx]))]
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


def _potentials(num_nodes, source, sink, tails, heads, caps, cost, flows,
                max_flow, *, reverse: bool = False) -> np.ndarray | None:
    """Node potentials of an optimal flow: shortest distances from a virtual root in the
    residual graph (or, with ``reverse``, minus the distances to a virtual sink), by a
    vectorised Bellman-Ford that relaxes only arcs whose end improved. They exist because
    the flow is optimal; they certify optimality for any arc whose reduced cost they leave
    non-negative."""
    big = (num_nodes + 2) * (int(np.abs(cost).max(initial=0)) + 1)
    fwd = flows < caps
    bwd = flows > 0
    u = np.concatenate([tails[fwd], heads[bwd], [sink], [source] if max_flow else []])
    v = np.concatenate([heads[fwd], tails[bwd], [source], [sink] if max_flow else []])
    c = np.concatenate([cost[fwd], -cost[bwd], [-big], [big] if max_flow else []])
    u, v, c = u.astype(np.int64), v.astype(np.int64), c.astype(np.int64)
    if reverse:  # distances to the sink are distances from it in the reversed graph
        d = _bellman_ford(num_nodes, v, u, c)
        return None if d is None else -d
    return _bellman_ford(num_nodes, u, v, c)


def _bellman_ford(num_nodes: int, u: np.ndarray, v: np.ndarray,
                  c: np.ndarray) -> np.ndarray | None:
    d = np.zeros(num_nodes, dtype=np.int64)
    active = np.ones(num_nodes, dtype=bool)
    for _ in range(20 * num_nodes + 10):
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
