"""The survivor's first visit: share an account without logging in, and get a receipt.

Every page works without JavaScript and sends `Cache-Control: no-store` (never_cache). Nothing a
survivor types is stored until the final "Send": earlier steps carry the answers forward as hidden
fields. Writes go through intake/actions/.
"""

import logging
import secrets
import uuid

from django import db
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from intake import actions, crypto, ratelimit
from intake.answers import AccountForm
from intake.survivor.common import (
    already_sent,
    answer_time,
    page_language,
    token_used,
    upload_problems,
)
from intake.survivor.forms import NOTHING_FILLED_IN, ConsentForm, account_answers, account_contact
from intake.uploads import EncryptingUploadHandler
from portal.middleware import csrf_protect

logger = logging.getLogger(__name__)


def _forms(request: HttpRequest) -> tuple[ConsentForm, AccountForm]:
    consent = ConsentForm(request.POST, prefix="consent")
    account = AccountForm(
        request.POST, minor=consent.is_minor, language=page_language(), prefix="account"
    )
    return consent, account


def _submission_token(request: HttpRequest) -> str:
    """The one token of this account's forms: made on the consent page and carried to Send, so
    that once the account is saved, any of its pages sent again shows "already sent" instead of
    what it carried (a page from Back, reloaded). A form without one gets a new one."""
    return request.POST.get("submission_token", "")[:100] or secrets.token_urlsafe(24)


def _summary(account: AccountForm) -> list[tuple[str, str]]:
    """The account as label and readable value, for the review page (choices shown by label)."""
    rows = []
    for name, field in account.fields.items():
        value = account.cleaned_data.get(name)
        if value in (None, "", [], False):
            continue
        choices = dict(getattr(field, "choices", []))
        if isinstance(value, list):
            shown = ", ".join(str(choices.get(v, v)) for v in value)
        elif value is True:
            shown = _("Yes")
        else:
            shown = str(choices.get(value, value))
        rows.append((str(field.label), shown))
    return rows


def _render_review(
    request: HttpRequest,
    consent: ConsentForm,
    account: AccountForm,
    *,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "consent": consent,
        "account": account,
        "summary": _summary(account),
        "in_danger": account.cleaned_data.get("in_danger"),
        "nothing_filled": account.is_empty(),
        # The token the form came with: one account, one token, whatever was refused on the way
        # (nothing refused was saved, so the token is still unused).
        "submission_token": _submission_token(request),
        "errors": errors or [],
        "max_files": settings.INTAKE_MAX_FILES,
    }
    return render(request, "intake/review.html", context, status=status)


@never_cache
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/start.html")


@never_cache
@require_GET
def consent(request: HttpRequest) -> HttpResponse:
    context = {
        "consent": ConsentForm(prefix="consent"),
        "submission_token": secrets.token_urlsafe(24),
    }
    return render(request, "intake/consent.html", context)


def _render_consent(request: HttpRequest, consent_form: ConsentForm) -> HttpResponse:
    context = {"consent": consent_form, "submission_token": _submission_token(request)}
    return render(request, "intake/consent.html", context)


def _render_account(
    request: HttpRequest, consent_form: ConsentForm, account_form: AccountForm
) -> HttpResponse:
    context = {
        "consent": consent_form,
        "account": account_form,
        "submission_token": _submission_token(request),
    }
    return render(request, "intake/account.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return redirect("intake:consent")
    if token_used(request.POST.get("submission_token", "")):
        return already_sent(request)
    consent_form = ConsentForm(request.POST, prefix="consent")
    if not consent_form.is_valid():
        return _render_consent(request, consent_form)
    # Coming back from the review page to change something: show what was typed.
    editing = "edit" in request.POST
    account_form = AccountForm(
        request.POST if editing else None,
        minor=consent_form.is_minor,
        language=page_language(),
        prefix="account",
    )
    return _render_account(request, consent_form, account_form)


@never_cache
@require_POST
def review(request: HttpRequest) -> HttpResponse:
    if token_used(request.POST.get("submission_token", "")):
        return already_sent(request)
    consent_form, account_form = _forms(request)
    if not consent_form.is_valid():
        return _render_consent(request, consent_form)
    if not account_form.is_valid():
        return _render_account(request, consent_form, account_form)
    return _render_review(request, consent_form, account_form)


@never_cache
@csrf_exempt  # checked in _submit, after the encrypting upload handler is in place
@require_POST
def submit(request: HttpRequest) -> HttpResponse:
    # Counted before anything is streamed or encrypted: a client over its limit costs little.
    if not ratelimit.client_allowed(request, "submit", settings.INTAKE_SUBMISSION_LIMIT):
        # Read the form without its files (no handler keeps them), to give everything typed back.
        request.upload_handlers = []
        return _submit_refused(request)
    case_key = crypto.new_case_key()
    public_id = uuid.uuid4()
    handler = EncryptingUploadHandler(request, case_key=case_key, case_id=str(public_id))
    # Attachments are sealed chunk by chunk as Django reads them (intake/uploads.py).
    request.upload_handlers = [handler]
    try:
        return _submit(request, handler, case_key, public_id)
    finally:
        # The CSRF check in _submit's decorator reads the body, so the files are on disk before
        # it can refuse; whatever refused the request (that check, the form, a fault), its files
        # go. Only an account saved, or perhaps saved, keeps them.
        if not handler.kept:
            handler.discard()


@csrf_protect
def _submit_refused(request: HttpRequest) -> HttpResponse:
    consent_form, account_form = _forms(request)
    if not (consent_form.is_valid() and account_form.is_valid()):
        return redirect("intake:start")
    message = _(
        "Many accounts have been sent from this connection in the last hour. Nothing was "
        "saved. Please wait an hour and send again; what you typed is still here."
    )
    return _render_review(request, consent_form, account_form, errors=[message], status=429)


@csrf_protect
def _submit(
    request: HttpRequest, handler: EncryptingUploadHandler, case_key: bytes, public_id: uuid.UUID
) -> HttpResponse:
    consent_form, account_form = _forms(request)
    if not (consent_form.is_valid() and account_form.is_valid()):
        handler.discard()
        return redirect("intake:start")
    if handler.storage_failed:
        # The disk refused a file (full or failing): saving the account without it would lose it
        # silently, so nothing is saved and the survivor is told so.
        handler.discard()
        return _not_saved(request, handler, consent_form, account_form)
    problems = upload_problems(handler)
    if not problems and account_form.is_empty() and not handler.received:
        problems = [str(NOTHING_FILLED_IN)]
    if problems:
        handler.discard()
        return _render_review(request, consent_form, account_form, errors=problems, status=400)
    if token_used(request.POST.get("submission_token", "")):
        # The receipt page reloaded, or Send pressed twice: nothing new, and nothing counted.
        handler.discard()
        return already_sent(request)
    # Only a request that passed the per-client limit, the CSRF check and validation counts
    # toward the ceiling for everyone: refused requests cannot use it up.
    ratelimit.count_toward_ceiling("submit", settings.INTAKE_SUBMISSION_CEILING)
    try:
        submitted = actions.submit_account(
            case_key=case_key,
            public_id=public_id,
            answers=account_answers(consent_form, account_form, page_language()),
            contact=account_contact(account_form),
            uploads=handler.received,
            submission_token=request.POST.get("submission_token", ""),
        )
    except actions.DuplicateSubmission:
        handler.discard()
        return already_sent(request)
    except actions.SaveUncertain:
        # The files are kept: if the account was saved, they belong to it. If it was not, the
        # sweeper removes them later (intake.tasks.sweep_orphan_files).
        handler.keep()
        logger.exception("an account may or may not have been saved")
        return _not_saved(request, handler, consent_form, account_form, uncertain=True)
    except db.Error:
        handler.discard()
        logger.exception("an account could not be saved")
        return _not_saved(request, handler, consent_form, account_form)
    handler.keep()
    context = {
        "receipt": crypto.format_receipt(submitted.receipt),
        "urgent": submitted.case.urgent,
        "minor": consent_form.is_minor,
        "answer_time": answer_time(submitted.case.urgent),
    }
    return render(request, "intake/receipt.html", context)


def _not_saved(
    request: HttpRequest,
    handler: EncryptingUploadHandler,
    consent_form: ConsentForm,
    account_form: AccountForm,
    *,
    uncertain: bool = False,
) -> HttpResponse:
    """The review page again, saying plainly that nothing was saved (a fault on our side), or,
    if the connection broke at the very moment of saving, that we cannot tell. In that case the
    form keeps the token it was sent with (as it always does): sent again, it is saved if the
    first one was not, and the survivor is told it already arrived if it was (never saved
    twice)."""
    if uncertain:
        message = _(
            "We could not confirm that your account was saved: our connection to the database "
            "broke while it was being saved. Nothing you typed is lost; it is all still on this "
            "page. Please send it again in a few minutes. If the first one arrived, you will be "
            "told so, and it will not be saved twice."
        )
    else:
        message = _(
            "Your account was NOT saved: something went wrong on our side. Nothing you typed is "
            "lost; it is all still on this page. Please try sending again in a few minutes."
        )
    if handler.received or request.FILES or handler.file_count:
        message += " " + _("Files must be chosen again.")
    return _render_review(request, consent_form, account_form, errors=[message], status=503)
