"""The routing outbox: one job per case, written in the same transaction as the case."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake.models.cases import Case


def acknowledgement_time(urgent: bool) -> timedelta:
    """How long a caseworker has to acknowledge a case routed to them before routing gives it to
    someone else (shorter for an urgent one). The overdue query and the deadline the queue shows
    both come from here."""
    hours = settings.ROUTING_URGENT_DEADLINE_HOURS if urgent else settings.ROUTING_DEADLINE_HOURS
    return timedelta(hours=hours)


class RoutingJobQuerySet(models.QuerySet["RoutingJob"]):
    def overdue(self) -> "RoutingJobQuerySet":
        """Routed cases nobody acknowledged within the deadline (acknowledgement_time).

        Routed times are kept to the hour, so a deadline can fall due up to an hour early.
        """
        now = timezone.now()
        due = Q(urgent=False, available_at__lt=now - acknowledgement_time(False)) | Q(
            urgent=True, available_at__lt=now - acknowledgement_time(True)
        )
        return self.filter(
            due, state=RoutingJob.State.DONE, case__status=Case.Status.RECEIVED
        ).exclude(assigned_to=None)

    def open_to_coordinators(self) -> "RoutingJobQuerySet":
        """The jobs whose case coordinators may open through the coordinators' key: waiting for
        a caseworker (nobody fits, given back, its caseworker lost access), or overdue. Any other
        case is none of their business (docs/security.md, section 6)."""
        overdue = self.overdue().values("pk")
        return self.filter(Q(state=RoutingJob.State.WAITING) | Q(pk__in=overdue))


class RoutingJob(models.Model):
    """The outbox row written in the same transaction as the case (docs/security.md, section 5).

    The routing task claims it with a conditional update; a periodic sweeper re-sends jobs that
    no worker has claimed, so a committed case is routed even if the broker was down.
    """

    class State(models.TextChoices):
        PENDING = "pending", "pending"
        CLAIMED = "claimed", "claimed"
        # In the coordinators' queue: nobody fits (routing tries again), or for coordinators
        # to place (reasons below).
        WAITING = "waiting", "waiting"
        DONE = "done", "done"

    class Reason(models.TextChoices):
        """Why a case went where it is, as a code (and, for a routed case, the facts of the
        match in `reason_params`): intake.templatetags.routing_reasons words it in the reader's
        language. Only NO_ELIGIBLE_CASEWORKER is routed again by itself."""

        ROUTED = "routed", _("Gave the case to a caseworker (routing)")
        NO_ELIGIBLE_CASEWORKER = (
            "no_eligible_caseworker",
            _(
                "No caseworker fits yet (language, gender asked for, "
                "specialisms), or all who fit are full."
            ),
        )
        ESCALATED = "escalated", _("Given back by the caseworker.")
        DEADLINE_MISSED = (
            "deadline_missed",
            _("Its caseworker did not acknowledge it in time, and routing can no longer open it."),
        )
        CASEWORKER_SUSPENDED = "caseworker_suspended", _("Its caseworker was suspended.")
        VETTING_EXPIRED = "vetting_expired", _("Its caseworker's vetting expired.")
        PASSWORD_RESET = (
            "password_reset",
            _(
                "Its caseworker's password was reset: grant it to them again from their page once "
                "they have chosen a new one."
            ),
        )
        GRANTED = "granted", _("Given to a caseworker by a coordinator.")

    # Short names for the codes, as callers have always used them.
    NO_ELIGIBLE_CASEWORKER = Reason.NO_ELIGIBLE_CASEWORKER
    ESCALATED = Reason.ESCALATED
    DEADLINE_MISSED = Reason.DEADLINE_MISSED
    CASEWORKER_SUSPENDED = Reason.CASEWORKER_SUSPENDED
    VETTING_EXPIRED = Reason.VETTING_EXPIRED
    PASSWORD_RESET = Reason.PASSWORD_RESET
    GRANTED = Reason.GRANTED

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="routing_job")
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    urgent = models.BooleanField(default=False)
    # Exact times here are about the job, for the sweeper (minutes matter); once the case is
    # routed, or waits for a caseworker, they are rounded to the hour
    # (intake.routing.placement.route_case).
    available_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True)
    # The Celery task id of the delivery that holds the claim (random, about the message only).
    # The same message delivered again after its worker died, or retried, carries the same id and
    # may take the claim again; any other delivery may not.
    claimed_by = models.CharField(max_length=64, blank=True)
    assigned_to = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Why this caseworker, about the match only (never about the account's content): a code,
    # and for a routed case what matched (intake.routing.matching.choose): language, gender
    # asked for, required specialisms, same region, needs matched, load and capacity.
    reason = models.CharField(max_length=30, choices=Reason.choices, blank=True)
    reason_params = models.JSONField(default=dict)
    # Caseworkers who let the deadline pass on this case: routing does not choose them again.
    passed_over = models.JSONField(default=list)

    objects = RoutingJobQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["state", "available_at"])]

    def __str__(self) -> str:
        return f"routing job for {self.case_id} ({self.state})"

    @property
    def acknowledge_by(self) -> datetime:
        """When the case must be acknowledged before routing gives it to someone else (only
        meaningful while the case is routed and not yet acknowledged)."""
        return self.available_at + acknowledgement_time(self.urgent)
