"""E-mails to staff: always the same words, whatever the case, so nothing about a case can leak
by e-mail. Sent from tasks (intake/tasks.py), or here and now when the broker cannot take the
task (intake/enqueue.py)."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.mail import send_mail

from intake.models import StaffProfile

NOTIFICATION_SUBJECT = "Something to look at in the portal"
NOTIFICATION_BODY = "There is something new for you in the portal. Please sign in to see it."


def coordinator_ids() -> list[int]:
    """The user ids of the vetted coordinators."""
    return list(StaffProfile.objects.vetted_coordinators().values_list("user_id", flat=True))


def staff_addresses(user_ids: Iterable[int]) -> list[tuple[int, str]]:
    """(user id, e-mail address) of these staff members, in id order."""
    return list(
        get_user_model()
        .objects.filter(pk__in=set(user_ids))
        .order_by("pk")
        .values_list("pk", "email")
    )


def send_notification(email: str) -> None:
    """The notification, to one person in a message of their own: nobody learns who else works
    here from the recipient list."""
    send_mail(NOTIFICATION_SUBJECT, NOTIFICATION_BODY, None, [email])


def send_notifications(user_ids: Iterable[int]) -> None:
    for _, email in staff_addresses(user_ids):
        send_notification(email)


def notify_coordinators() -> None:
    send_notifications(coordinator_ids())
