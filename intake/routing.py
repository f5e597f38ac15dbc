"""Routing: which vetted caseworker receives a case (DESIGN.md, "Routing").

Runs in the Celery worker, the only process that holds the routing private key. For one case it
opens the routing wrap, reads the sealed routing hints, chooses a caseworker, wraps the case key
for them, and stores nothing else: the reason it records is about the match, never the content.

Matching: hard constraints first (language, the survivor's caseworker-gender preference, and the
specialisms the case needs: children, LGBTQI+), then preferences (region, needs that match a
specialism), then the lowest open-cases/capacity ratio; ties go to whoever was chosen least often
(round-robin). Capacity is never exceeded: the caseworkers who could take a case are locked
while it is placed, so cases that need different people (another language) are placed in
parallel, and cases competing for the same people one after another.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from intake import actions, crypto
from intake.models import Case, KeyWrap, RecipientKey, RoutingJob, StaffProfile, current_hour

logger = logging.getLogger(__name__)

# Specialisms a case must have (hard); any other need only makes a caseworker preferable.
REQUIRED_SPECIALISMS = {"children", "lgbtqi"}
# A pending job nobody claimed (the broker was down when it was sent) is sent again after this.
UNCLAIMED_AFTER = timedelta(minutes=1)


# Fixed words for RoutingJob.reason (shown to coordinators through
# intake.templatetags.routing_reasons, which translates them).
NO_ELIGIBLE_CASEWORKER = "no eligible caseworker"
ESCALATED = "escalated by the caseworker"


@dataclass(frozen=True)
class Choice:
    profile: StaffProfile
    reason: str


def routing_private_key() -> bytes:
    path = settings.ROUTING_KEY_FILE
    if not path:
        raise RuntimeError("ROUTING_KEY_FILE is not set: only the worker can route cases")
    return Path(path).read_bytes()


def eligible_caseworkers() -> "QuerySet[StaffProfile]":
    """Vetted, available caseworkers with a key and a second factor."""
    with_mfa = Authenticator.objects.exclude(type=Authenticator.Type.RECOVERY_CODES).values(
        "user_id"
    )
    return StaffProfile.objects.filter(
        role=StaffProfile.Role.CASEWORKER,
        vetting=StaffProfile.Vetting.VETTED,
        available=True,
        public_key__isnull=False,
        user__in=with_mfa,
    ).select_related("user")


def open_loads(profiles: list[StaffProfile]) -> dict[str, int]:
    """Open cases held by each of these staff members, in one query."""
    counts = (
        KeyWrap.objects.filter(recipient__in=[p.recipient for p in profiles])
        .exclude(case__status__in=[Case.Status.CLOSED, Case.Status.WITHDRAWN])
        .values_list("recipient")
        .annotate(total=Count("id"))
    )
    return dict(counts)


def claim_expires_after() -> timedelta:
    """A claimed job whose worker died is offered again after this long (longer than the task's
    hard time limit, so a live task is never offered twice)."""
    return timedelta(seconds=settings.ROUTING_CLAIM_EXPIRES_SECONDS)


def meets_hard_constraints(hints: dict[str, Any], profile: Any) -> bool:
    """Language, the survivor's caseworker-gender preference, required specialisms."""
    language = hints.get("language") or ""
    gender = hints.get("caseworker_gender") or "any"
    required = set(hints.get("specialisms") or []) & REQUIRED_SPECIALISMS
    if language and language != "other" and language not in profile.languages:
        return False
    if gender != "any" and profile.gender != gender:
        return False
    return required <= set(profile.specialisms)


def choose(hints: dict[str, Any], candidates: "list[tuple[Any, int]]") -> Choice | None:
    """The best caseworker for these routing hints, among (profile, open cases) candidates."""
    language = hints.get("language") or ""
    gender = hints.get("caseworker_gender") or "any"
    required = set(hints.get("specialisms") or []) & REQUIRED_SPECIALISMS
    wanted = set(hints.get("specialisms") or []) | set(hints.get("needs") or [])
    region = (hints.get("region") or "").strip().casefold()

    suitable = []
    for profile, load in candidates:
        if load >= profile.capacity or not meets_hard_constraints(hints, profile):
            continue
        region_match = bool(region) and region in {r.casefold() for r in profile.regions}
        needs_met = len(wanted & set(profile.specialisms))
        suitable.append((profile, load, region_match, needs_met))
    if not suitable:
        return None
    best = min(
        suitable,
        key=lambda s: (
            not s[2],  # a region match first
            -s[3],  # then more needs met
            s[1] / max(s[0].capacity, 1),  # then the lightest load
            s[0].routed_count,  # then round-robin
            s[0].user_id,
        ),
    )
    profile, load, region_match, needs_met = best
    parts = [f"language {language or 'any'}"]
    if gender != "any":
        parts.append(f"caseworker gender {gender}")
    if required:
        parts.append("specialisms " + ", ".join(sorted(required)))
    if region_match:
        parts.append("same region")
    parts.append(f"{needs_met} needs matched, load {load}/{profile.capacity}")
    return Choice(profile, "; ".join(parts))


def claim(case_pk: int, token: str) -> RoutingJob | None:
    """Take the job for this case: a conditional update, so two messages, or two workers, cannot
    both route it. A job already claimed under this token can be taken again: the same message,
    delivered again because the worker running it died (Celery's reject_on_worker_lost) or retried
    after a database error, would otherwise find its own claim and leave the case unrouted until
    the claim expires. route_case() then lets only one holder of the token place the case."""
    claimable = Q(state__in=[RoutingJob.State.PENDING, RoutingJob.State.WAITING]) | Q(
        state=RoutingJob.State.CLAIMED, claimed_by=token
    )
    claimed = RoutingJob.objects.filter(claimable, case_id=case_pk).update(
        state=RoutingJob.State.CLAIMED,
        claimed_by=token,
        claimed_at=timezone.now(),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    return RoutingJob.objects.select_related("case").get(case_id=case_pk)


def route_case(case_pk: int, token: str | None = None) -> str:
    """Route one case; returns what happened: "routed", "waiting" (nobody fits: it joins the
    coordinators' queue), "still-waiting" (a retry of a waiting case, and still nobody fits) or
    "not-claimed" (another delivery has it, or it is done).

    `token` names the delivery (the Celery task id); without one, this call is its own delivery.
    """
    token = token or uuid.uuid4().hex
    job = claim(case_pk, token)
    if job is None:
        return "not-claimed"
    case = job.case
    try:
        wrap = KeyWrap.objects.get(case=case, recipient=RecipientKey.Purpose.ROUTING)
        case_key = crypto.unwrap_case_key(
            bytes(wrap.wrapped),
            routing_private_key(),
            case_id=case.case_id,
            recipient=RecipientKey.Purpose.ROUTING,
            key_id=wrap.key_id,
        )
        hints = actions.open_json(
            case_key, case.case_id, "routing-hints", bytes(case.routing_hints)
        )
    except Exception:
        # Leave the claim to expire: the sweeper offers it again, and the operator sees this.
        logger.exception("case %s could not be opened for routing", case.pk)
        raise
    # Who could take this case at all, read without a lock: only their rows are locked below.
    suitable = [
        profile.pk
        for profile in eligible_caseworkers()
        if meets_hard_constraints(hints, profile) and profile.user_id not in job.passed_over
    ]
    with transaction.atomic():
        # Hold the job while the case is placed: another holder of the token (the same message
        # delivered twice) waits here, then finds the job done; a claim the sweeper took back
        # because it expired is not ours any more.
        still_ours = RoutingJob.objects.select_for_update().filter(
            pk=job.pk, state=RoutingJob.State.CLAIMED, claimed_by=token
        )
        if not still_ours.exists():
            return "not-claimed"
        # Lock the suitable caseworkers' rows (in one order, so two placements cannot deadlock)
        # and count their loads only then, so concurrent routing never pushes anyone over
        # capacity: every placement with one of them waits for this one to commit. The query
        # checks eligibility again, under the lock.
        profiles = list(
            eligible_caseworkers()
            .filter(pk__in=suitable)
            .select_for_update(of=("self",))
            .order_by("user_id")
        )
        loads = open_loads(profiles)
        candidates = [(profile, loads.get(profile.recipient, 0)) for profile in profiles]
        choice = choose(hints, candidates)
        if choice is None:
            RoutingJob.objects.filter(pk=job.pk).update(
                state=RoutingJob.State.WAITING,
                reason=NO_ELIGIBLE_CASEWORKER,
                claimed_at=None,
                claimed_by="",
            )
            # The reason is still the one written when it first found nobody: coordinators were
            # told then, and are not told again at every retry.
            outcome = "still-waiting" if job.reason == NO_ELIGIBLE_CASEWORKER else "waiting"
        else:
            actions.grant_case(case, case_key, choice.profile, by=None, action="case.routed")
            StaffProfile.objects.filter(pk=choice.profile.pk).update(
                routed_count=F("routed_count") + 1
            )
            RoutingJob.objects.filter(pk=job.pk).update(
                state=RoutingJob.State.DONE,
                assigned_to=choice.profile.user,
                reason=choice.reason,
                available_at=current_hour(),
                claimed_at=None,
                claimed_by="",
            )
            outcome = "routed"
    return outcome


def jobs_to_resend() -> list[tuple[int, bool]]:
    """(case pk, urgent) of jobs no worker took: pending for over a minute (the broker was
    down when they were sent) or claimed by a worker that died."""
    now = timezone.now()
    with transaction.atomic():
        stale_claims = RoutingJob.objects.select_for_update().filter(
            state=RoutingJob.State.CLAIMED, claimed_at__lt=now - claim_expires_after()
        )
        abandoned = list(stale_claims.values_list("case_id", "urgent"))
        stale_claims.update(state=RoutingJob.State.PENDING, claimed_at=None, claimed_by="")
    unclaimed = RoutingJob.objects.filter(
        state=RoutingJob.State.PENDING, available_at__lt=now - UNCLAIMED_AFTER
    ).exclude(case_id__in=[case_pk for case_pk, _ in abandoned])
    return abandoned + list(unclaimed.values_list("case_id", "urgent"))


def overdue_jobs() -> list[RoutingJob]:
    """Routed cases nobody acknowledged within the deadline (shorter for urgent ones).

    Routed times are kept to the hour, so a deadline can fall due up to an hour early.
    """
    now = timezone.now()
    due = Q(urgent=False, available_at__lt=now - timedelta(hours=settings.ROUTING_DEADLINE_HOURS))
    due |= Q(
        urgent=True, available_at__lt=now - timedelta(hours=settings.ROUTING_URGENT_DEADLINE_HOURS)
    )
    return list(
        RoutingJob.objects.filter(
            due, state=RoutingJob.State.DONE, case__status=Case.Status.RECEIVED
        )
        .exclude(assigned_to=None)
        .select_related("case", "assigned_to")
    )


def reroute_overdue(job: RoutingJob) -> None:
    """Take the case from the caseworker who did not acknowledge it, and route it again."""
    from intake import audit

    missed = job.assigned_to
    if missed is None:  # overdue_jobs() never returns these
        return
    with transaction.atomic():
        KeyWrap.objects.filter(case=job.case, recipient=f"caseworker:{missed.pk}").delete()
        RoutingJob.objects.filter(pk=job.pk).update(
            state=RoutingJob.State.PENDING,
            assigned_to=None,
            passed_over=[*job.passed_over, missed.pk],
            available_at=timezone.now() - UNCLAIMED_AFTER,
        )
        audit.record("case.deadline_missed", actor=None, case=job.case, subject=missed)


def waiting_jobs() -> list[tuple[int, bool]]:
    """Waiting cases that routing tries again. A case a caseworker gave back (escalated) is for
    the coordinators to place, so routing leaves it to them."""
    return list(
        RoutingJob.objects.filter(state=RoutingJob.State.WAITING)
        .exclude(reason=ESCALATED)
        .values_list("case_id", "urgent")
    )
