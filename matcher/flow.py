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


def lexicographic_weights(ranges: list[int]) -> list[int]:
    """Weights W_k with W_k > sum_{j>k} W_j * 2 * R_j (R_j bounds |tier j total|)."""
    weights = [1] * len(ranges)
    acc = 0
    for k in range(len(ranges) - 1, -1, -1):
        weights[k] = acc + 1
        acc += weights[k] * 2 * int(ranges[k])
    return weights


def lex_max_flow_min_cost(num_nodes: int, source: int, sink: int, tails: np.ndarray,
                          heads: np.ndarray, caps: np.ndarray, tier_costs: list[np.ndarray],
                          tier_ranges: list[int]) -> FlowResult:
    """Maximum flow from ``source`` to ``sink`` that is lexicographically cheapest over
    ``tier_costs`` (each an integer cost per arc, to be minimised, highest priority first).
    ``tier_ranges[k]`` must bound |sum of tier k's cost over any feasible flow|."""
    tails = np.asarray(tails, dtype=np.int32)
    heads = np.asarray(heads, dtype=np.int32)
    caps = np.asarray(caps, dtype=np.int64)
    dropped = 0
    while True:
        use = len(tier_costs) - dropped
        weights = lexicographic_weights(tier_ranges[:use])
        magnitude = 0
        for w, c in zip(weights, tier_costs[:use]):
            magnitude += w * int(np.abs(c).max(initial=0))
        if magnitude * (num_nodes + 1) < _COST_LIMIT or use == 0:
            cost = np.zeros(len(tails), dtype=np.int64)
            for w, c in zip(weights, tier_costs[:use]):
                cost += np.int64(w) * np.asarray(c, dtype=np.int64)
            break
        dropped += 1
        log.warning("cost range too wide for one flow; dropping tier %d", use - 1)
    smcf = min_cost_flow.SimpleMinCostFlow()
    if len(tails):
        smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, cost)
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
    values = [int(np.dot(flows, c)) for c in tier_costs]
    return FlowResult(flows=flows, max_flow=int(smcf.maximum_flow()), tier_values=values,
                      dropped=dropped)
