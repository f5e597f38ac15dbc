"""Routing: which vetted caseworker receives a case (docs/architecture.md, "intake/routing/").

matching.py chooses (pure functions: constraints, preferences, load); placement.py claims a batch
of jobs, opens their cases with the routing key and grants them (the worker only); outbox.py
holds the sweepers (jobs no worker took, deadlines, waiting cases). intake/tasks.py runs them.
"""

# Matching.
from intake.routing.matching import REQUIRED_SPECIALISMS, Choice, choose, meets_hard_constraints

# The outbox.
from intake.routing.outbox import (
    UNCLAIMED_AFTER,
    claim_expires_after,
    jobs_to_resend,
    overdue_jobs,
    reroute_overdue,
    waiting_jobs,
)

# Placement.
from intake.routing.placement import (
    Batch,
    Placement,
    claim,
    eligible_caseworkers,
    open_for_routing,
    route_case,
    routing_private_key,
)

__all__ = [
    "REQUIRED_SPECIALISMS",
    "UNCLAIMED_AFTER",
    "Batch",
    "Choice",
    "Placement",
    "choose",
    "claim",
    "claim_expires_after",
    "eligible_caseworkers",
    "jobs_to_resend",
    "meets_hard_constraints",
    "open_for_routing",
    "overdue_jobs",
    "reroute_overdue",
    "route_case",
    "routing_private_key",
    "waiting_jobs",
]
