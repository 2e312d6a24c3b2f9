"""Solver-independent plan checker: every hard rule of SPEC section 2, the rerun rules of
section 5 and the visit-schedule rules of section 6, recomputed from the roster alone with
plain Python, and the tier values of section 3.

A leaf on purpose: it imports only the data types (``matcher.domain``, ``matcher.plan``),
``PlanCheckError``, the availability-text parser (input parsing) and ``fold``. Distances,
monthly hours, pair rules, scores and the visit rules are its own plain formulas, never
the solver's (``solve``, ``context``, ``mentors``, ``placements``, ``rules``, ``geo``,
``flow``, ``cpsat``, ``rerun``, ``requires``, ``blockers``, ``explain``) or the
scheduler's (``schedule``): agreeing with them then means something.
Meant to be correct, clear and easy to read rather than fast. ``plan`` runs it before
writing anything: a plan that fails it is a bug, reported as such.

Each violation is one line that starts with what it breaks:

``rule 1`` .. ``rule 13``
    the hard rules of SPEC section 2. Rule 7 covers the Pairs rows of every kind (mentor,
    job, training): a ``forbid`` pair is never in the plan; a ``require`` row either holds
    in the plan or is listed in ``plan.unmet_requires`` with a reason, and the listing is
    justified by the checker's own computation (see :func:`_why_unmet`). Messages about
    require rows start with ``rule 7: required pair``.
``rerun confirmed`` / ``rerun hired`` / ``rerun change`` (only with ``previous``)
    a confirmed mentor pair or a ``hired`` placement of the previous plan dropped though
    no hard rule forbids it (or dropped without the plan saying why); a row whose
    ``change`` (new / kept / changed / ended) disagrees with the previous plan, or a
    changed/ended row without a reason.
``schedule <name>`` (only when the plan has visits or unscheduled visits)
    ``schedule pair``        a visit (or unscheduled visit) of a pair that is not in the plan
    ``schedule horizon``     a visit or due date outside plan_date .. plan_date + horizon
                             (such a visit is not checked further)
    ``schedule availability`` a visit in a slot the mentor or the returnee is not free
    ``schedule busy``        a visit during the returnee's job shift or course hours
    ``schedule mentor-slot`` two visits of one mentor in one slot
    ``schedule mentor-day``  more than 3 visits of one mentor on one day (with 3 slots a
                             day this always comes with ``schedule mentor-slot``)
    ``schedule returnee-slot`` two visits to one returnee in one slot (a returnee has one
                             mentor, so this too comes with ``schedule mentor-slot``)
    ``schedule first-visit`` a new pair's first visit outside max(plan_date, release) ..
                             + first_visit_days
    ``schedule cadence``     visits of a pair not cadence +- 2 days apart (a kept pair's
                             first one counted from its last previous visit)
    ``schedule kind``        a visit labelled "first"/"follow-up" wrongly
    ``schedule missing``     a visit due in the horizon neither placed nor listed
    ``schedule unscheduled`` an unscheduled visit without a reason or a valid due date, or
                             listed though it is not due in the horizon
``loan <name>``
    the loan rules of SPEC section 12 (:mod:`matcher.check.loans`).
``plan``
    the plan's own shape: one row per returnee, ids known to the roster, stated distances.
``tier <name>`` (:func:`assert_plan_ok` only)
    a tier value that disagrees with :func:`objective`.
"""

from __future__ import annotations

from matcher.check.formulas import distance_km, monthly_hours
from matcher.check.plan_rules import check_plan
from matcher.check.tiers import assert_plan_ok, objective
from matcher.check.visits import check_schedule

__all__ = ["assert_plan_ok", "check_plan", "check_schedule", "distance_km", "monthly_hours",
           "objective"]
