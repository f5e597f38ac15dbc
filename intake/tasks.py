"""Celery tasks of the intake. Messages carry ids only (never text); every task is idempotent."""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.mail import send_mail

from intake import actions
from intake.models import StaffProfile

# Every notification has the same words, whatever the case: nothing about it can leak by e-mail.
NOTIFICATION_SUBJECT = "Something to look at in the portal"
NOTIFICATION_BODY = "There is something new for you in the portal. Please sign in to see it."


@shared_task(name="intake.tasks.expire_vetting", ignore_result=True)
def expire_vetting() -> None:
    """Daily: vetting past its date expires; the person and the coordinators are told."""
    expired = actions.expire_vetting()
    if not expired:
        return
    coordinators = list(
        get_user_model()
        .objects.filter(
            staff_profile__role=StaffProfile.Role.COORDINATOR,
            staff_profile__vetting=StaffProfile.Vetting.VETTED,
        )
        .values_list("email", flat=True)
    )
    # One message per person: nobody learns who else works here from the recipient list.
    for email in sorted({p.user.email for p in expired} | set(coordinators)):
        send_mail(NOTIFICATION_SUBJECT, NOTIFICATION_BODY, None, [email])
