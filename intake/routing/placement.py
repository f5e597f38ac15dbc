"""Placing cases: claim a batch of routing jobs, open them, choose a caseworker for each, grant.

Runs in the Celery worker, the only process that holds the routing private key. For each case it
opens the routing wrap, reads the sealed routing hints, chooses a caseworker
(intake/routing/matching.py), wraps the case key for them (intake.actions.grants), and stores
nothing else: the reason it records is about the match, never the content.

Cases are placed in batches: a routing task claims the case its message names and up to
ROUTING_BATCH_SIZE - 1 others still pending, and places them all in one transaction (one lock of
the caseworkers, one audit append, a handful of statements). A burst of accounts then costs a few
transactions instead of one each; the messages of cases another batch took find nothing to do.

Capacity is never exceeded: the caseworkers who could take the batch's cases are locked while it
is placed, and each placement counts in the loads the next case of the batch sees (loads are
KeyWrap.objects.open_loads, the numbers the team pages show), so batches that need different
people (another language) are placed in parallel, and batches competing for the same people one
after another.
"""

import json
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from intake import crypto
from intake.actions.grants import Grant, grant_cases
from intake.actions.pattern_changes import count_cases
from intake.actions.sealed_json import open_json
from intake.crypto import unwrapping
from intake.models import Case, KeyWrap, RecipientKey, RoutingJob, StaffProfile, current_hour
from intake.routing.matching import choose, meets_hard_constraints

logger = logging.getLogger(__name__)


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
    return (
        StaffProfile.objects.vetted_now()
        .filter(
            role=StaffProfile.Role.CASEWORKER,
            available=True,
            public_key__isnull=False,
            user__in=with_mfa,
        )
        .select_related("user")
    )


@dataclass(frozen=True)
class Placement:
    """What routing did with one case: "routed", "waiting" (nobody fits: it joins the
    coordinators' queue) or "still-waiting" (tried again, and still nobody fits)."""

    case_pk: int
    outcome: str
    urgent: bool
    caseworker_id: int | None = None  # the user id of whoever received it


@dataclass(frozen=True)
class Batch:
    """The cases one routing task placed: the one its message named, and others not yet routed."""

    case_pk: int
    placements: tuple[Placement, ...]

    @property
    def outcome(self) -> str:
        """What happened to the message's own case; "not-claimed" if another delivery has it, or
        it is done."""
        return next(
            (p.outcome for p in self.placements if p.case_pk == self.case_pk), "not-claimed"
        )


# Raw SQL, because every routing message runs these, also the many that find their case
# already placed by another message's batch (the ORM took longer to build them than PostgreSQL
# to run them).

# The message's own job, and whatever this token held already. A plain UPDATE: should another
# transaction hold one of these rows, it waits for it and then looks again.
CLAIM_OWN_SQL = """
UPDATE intake_routingjob
SET state = 'claimed', claimed_by = %(token)s, claimed_at = %(now)s, attempts = attempts + 1
WHERE (case_id = %(case)s AND state IN ('pending', 'waiting'))
    OR (state = 'claimed' AND claimed_by = %(token)s)
RETURNING id
"""

# Up to `size` more pending jobs, urgent ones first. Rows another transaction holds are skipped:
# another batch is claiming them at this moment.
CLAIM_MORE_SQL = """
UPDATE intake_routingjob
SET state = 'claimed', claimed_by = %(token)s, claimed_at = %(now)s, attempts = attempts + 1
WHERE id IN (
    SELECT id FROM intake_routingjob
    WHERE state = 'pending'
    ORDER BY urgent DESC, id
    LIMIT %(size)s
    {lock}
)
RETURNING id
"""


def claim(case_pk: int, token: str, size: int) -> list[RoutingJob]:
    """Take the job for this case and up to `size` - 1 other pending ones.

    A job is taken only while it is pending (or, for the message's own case, waiting), so two
    messages, or two workers, cannot both route a case. Jobs already claimed under this token are
    taken again: the same message, delivered again because the worker running it died (Celery's
    reject_on_worker_lost) or retried after a database error, would otherwise find its own claims
    and leave those cases unrouted until the claims expire. route_case() then lets only one holder
    of the token place them.

    The message's own job is waited for if another transaction holds it: that may be the killed
    run of this very message, whose database session lives on until PostgreSQL notices, and
    skipping it would leave the case to the claim-expiry sweeper minutes later. Other jobs are
    skipped when held: another batch is taking them.
    """
    lock = "FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    parameters: dict[str, Any] = {"token": token, "now": timezone.now(), "case": case_pk}
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_OWN_SQL, parameters)
        pks = [pk for (pk,) in cursor.fetchall()]
        if len(pks) < size:
            cursor.execute(
                CLAIM_MORE_SQL.format(lock=lock), {**parameters, "size": size - len(pks)}
            )
            pks += [pk for (pk,) in cursor.fetchall()]
    if not pks:
        return []
    return list(
        RoutingJob.objects.filter(pk__in=pks).select_related("case").order_by("-urgent", "pk")
    )


def update_from_values(model: type[Model], assignments: str, rows: list[tuple[Any, ...]]) -> None:
    """One UPDATE of many rows of `model`, each with values of its own: `rows` are (id, value,
    ...) and `assignments` sets columns from `placed.column2`, `placed.column3`... (Django's
    bulk_update builds a CASE for every row and field, which took longer than placing the
    cases.)"""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    one_row = "(" + ", ".join(["%s"] * len(rows[0])) + ")"
    with connection.cursor() as cursor:
        # Only the table name, the caller's fixed assignments and placeholders are in the text;
        # every value is a parameter.
        cursor.execute(
            f"UPDATE {table} SET {assignments} "  # noqa: S608
            f"FROM (VALUES {', '.join([one_row] * len(rows))}) AS placed "
            f"WHERE {table}.id = placed.column1",
            [value for row in rows for value in row],
        )


def json_column(column: str) -> str:
    """A column of update_from_values' VALUES holding JSON text, as a JSON value: PostgreSQL
    needs the cast to jsonb; SQLite (make run) keeps JSON as text."""
    return f"{column}::jsonb" if connection.vendor == "postgresql" else column


@dataclass(frozen=True)
class Opened:
    job: RoutingJob
    case_key: bytes
    hints: dict[str, Any]


def open_for_routing(jobs: list[RoutingJob]) -> list[Opened]:
    """Each job's case key (through the routing wrap) and sealed routing hints. A case that
    cannot be opened is logged and left claimed: the sweeper offers it again when the claim
    expires, and the operator sees why."""
    private_key = crypto.load_private_key(routing_private_key())
    wraps = {
        wrap.case_id: wrap
        for wrap in KeyWrap.objects.filter(
            case__in=[job.case_id for job in jobs], recipient=RecipientKey.Purpose.ROUTING
        )
    }
    opened = []
    for job in jobs:
        case = job.case
        try:
            wrap = wraps[case.pk]
            case_key = unwrapping.unwrap_case_key(
                bytes(wrap.wrapped),
                private_key,
                case_id=case.case_id,
                recipient=RecipientKey.Purpose.ROUTING,
                key_id=wrap.key_id,
            )
            hints = open_json(case_key, case.case_id, "routing-hints", bytes(case.routing_hints))
        except Exception:
            logger.exception("case %s could not be opened for routing", case.pk)
            continue
        opened.append(Opened(job, case_key, hints))
    return opened


def route_case(case_pk: int, token: str | None = None) -> Batch:
    """Route this case, and with it other cases not yet routed (up to ROUTING_BATCH_SIZE), in
    one transaction.

    `token` names the delivery (the Celery task id); without one, this call is its own delivery.
    """
    token = token or uuid.uuid4().hex
    jobs = claim(case_pk, token, max(settings.ROUTING_BATCH_SIZE, 1))
    if not jobs:
        return Batch(case_pk, ())
    opened = open_for_routing(jobs)
    # Who could take each case at all, read without a lock: only their rows are locked below.
    eligible = list(eligible_caseworkers())
    suitable = {
        item.job.pk: {
            profile.pk
            for profile in eligible
            if meets_hard_constraints(item.hints, profile)
            and profile.user_id not in item.job.passed_over
        }
        for item in opened
    }
    with transaction.atomic():
        # Hold the jobs while the cases are placed: another holder of the token (the same
        # message delivered twice) waits here, then finds them done; a claim the sweeper took
        # back because it expired is not ours any more.
        still_ours = set(
            RoutingJob.objects.select_for_update()
            .filter(pk__in=suitable, state=RoutingJob.State.CLAIMED, claimed_by=token)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        opened = [item for item in opened if item.job.pk in still_ours]
        if not opened:
            return Batch(case_pk, ())
        # Lock the suitable caseworkers' rows (in one order, so two placements cannot deadlock)
        # and count their loads only then, so concurrent routing never pushes anyone over
        # capacity: every placement with one of them waits for this one to commit. The query
        # checks eligibility again, under the lock.
        wanted = set().union(*(suitable[item.job.pk] for item in opened))
        profiles = list(
            eligible_caseworkers()
            .filter(pk__in=wanted)
            .select_for_update(of=("self",))
            .order_by("user_id")
        )
        loads = KeyWrap.objects.open_loads(p.recipient for p in profiles)
        placements, grants, routed_jobs, waiting_pks = [], [], [], []
        for item in opened:
            job = item.job
            candidates = [
                (profile, loads.get(profile.recipient, 0))
                for profile in profiles
                if profile.pk in suitable[job.pk]
            ]
            choice = choose(item.hints, candidates)
            if choice is None:
                waiting_pks.append(job.pk)
                # A reason still the one written when it first found nobody: coordinators were
                # told then, and are not told again at every retry.
                outcome = (
                    "still-waiting"
                    if job.reason == RoutingJob.NO_ELIGIBLE_CASEWORKER
                    else "waiting"
                )
                placements.append(Placement(job.case_id, outcome, job.urgent))
                continue
            chosen = choice.profile
            # The next case of the batch sees this one in the load and the round-robin count.
            loads[chosen.recipient] = loads.get(chosen.recipient, 0) + 1
            chosen.routed_count += 1
            grants.append(Grant(job.case, item.case_key, chosen))
            job.assigned_to = chosen.user
            job.reason = RoutingJob.Reason.ROUTED
            job.reason_params = choice.params
            routed_jobs.append(job)
            placements.append(Placement(job.case_id, "routed", job.urgent, chosen.user_id))
        if grants:
            grant_cases(grants, by=None, action="case.routed")
            update_from_values(
                StaffProfile,
                "routed_count = placed.column2",
                # One row per caseworker (their count after the whole batch): an UPDATE joined
                # to two rows for the same caseworker would take either.
                list({g.profile.pk: g.profile.routed_count for g in grants}.items()),
            )
            update_from_values(
                RoutingJob,
                "state = 'done', assigned_to_id = placed.column2, reason = placed.column3, "
                f"reason_params = {json_column('placed.column4')}, available_at = placed.column5, "
                "claimed_at = NULL, claimed_by = ''",
                [
                    (
                        job.pk,
                        job.assigned_to_id,
                        str(job.reason),
                        json.dumps(job.reason_params),
                        current_hour(),
                    )
                    for job in routed_jobs
                ],
            )
        # A waiting case may wait for days: like a routed one, it keeps only the hour.
        RoutingJob.objects.filter(pk__in=waiting_pks).update(
            state=RoutingJob.State.WAITING,
            reason=RoutingJob.NO_ELIGIBLE_CASEWORKER,
            reason_params={},
            available_at=current_hour(),
            claimed_at=None,
            claimed_by="",
        )
        # Pattern counts (issue 17): every case of the batch not counted before adds a pending
        # change sealed to the routing key (empty if she did not agree) and gets its sealed
        # record in this transaction, so that a case is counted exactly once. The counts
        # themselves are not written here: a transaction of its own applies the changes of many
        # accounts at once (intake/actions/pattern_changes.py).
        update_from_values(
            Case,
            "pattern_record = placed.column2",
            count_cases((item.job.case, item.case_key) for item in opened),
        )
    return Batch(case_pk, tuple(placements))
