"""What the survivor's pages have in common: words for refused uploads and an unavailable
service, the page's language, and the one-time form tokens that keep a form from being saved
twice. The pages themselves: intake/survivor/sharing.py (sending an account),
intake/survivor/returning.py (coming back with the receipt), intake/survivor/my_account.py and
intake/survivor/justice.py.
"""

import logging

from django import db
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from intake import actions
from intake.models.routing import acknowledgement_time
from intake.uploads import EncryptingUploadHandler, UploadProblem

logger = logging.getLogger(__name__)

UPLOAD_MESSAGES = {
    UploadProblem.TOO_MANY: gettext_lazy("You can send up to 5 files at a time."),
    UploadProblem.TOO_LARGE: gettext_lazy("Each file can be up to 20 MB."),
    UploadProblem.WRONG_TYPE: gettext_lazy(
        "We can accept photos, PDF documents, audio and video files only."
    ),
}


UNAVAILABLE = gettext_lazy(
    "We cannot open accounts just now because of a problem on our side. Your account is safe. "
    "Please try again in a few minutes."
)


def page_language() -> str:
    return get_language() or settings.LANGUAGE_CODE


def upload_problems(handler: EncryptingUploadHandler) -> list[str]:
    problems = [str(UPLOAD_MESSAGES[p]) for p in dict.fromkeys(handler.problems)]
    if problems:
        problems.append(_("No file was kept. Please choose your files again."))
    return problems


def token_used(token: str) -> bool:
    """actions.submission_token_used, where a database that does not answer means "no": the
    write that follows fails too, and says plainly that nothing was saved."""
    try:
        return actions.submission_token_used(token)
    except db.Error:
        logger.warning("cannot tell whether a form token was used: the database does not answer")
        return False


def already_sent(request: HttpRequest) -> HttpResponse:
    """What a form sent again after it was saved shows: that it arrived, and nothing of it."""
    return render(request, "intake/already_sent.html", status=409)


def answer_time(urgent: bool) -> str:
    """How soon a caseworker usually takes up a new account: the routing deadline after which
    it is given to someone else (ROUTING_DEADLINE_HOURS, or ROUTING_URGENT_DEADLINE_HOURS for
    a survivor in danger; intake/tasks.py enforces it)."""
    hours = int(acknowledgement_time(urgent).total_seconds()) // 3600
    if hours >= 48 and hours % 24 == 0:
        days = hours // 24
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
