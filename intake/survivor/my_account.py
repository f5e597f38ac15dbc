"""A returning survivor's own page (/my-account/): where her account is, messages, adding
information and files, her contact details, her choice about referrals, and withdrawing it. Her
choices about documentation for justice have a page of their own (intake/survivor/justice.py).

Every view but add_information is behind survivor_session_required (intake/survivor/returning.py);
add_information opens the session itself, before the encrypting upload handler reads the body.
"""

import logging
import secrets
from typing import Any

from django import db
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from intake import actions
from intake.access import (
    SurvivorSessionExpired,
    SurvivorSessionUnavailable,
    end_survivor_session,
    survivor_case,
)
from intake.models import Case, JusticeRecipient
from intake.survivor.common import (
    UNAVAILABLE,
    already_sent,
    answer_time,
    token_used,
    upload_problems,
)
from intake.survivor.forms import (
    AdditionForm,
    ContactForm,
    MessageForm,
    ReceiptForm,
    ReferralConsentForm,
    WithdrawForm,
)
from intake.survivor.returning import ask_for_receipt, later_not_saved, survivor_session_required
from intake.uploads import EncryptingUploadHandler
from portal.middleware import csrf_protect

logger = logging.getLogger(__name__)

# Her page says where her account is in one sentence, for the status it has now.
STATUS_SENTENCES: dict[str, Any] = {
    Case.Status.RECEIVED: gettext_lazy("It is waiting for a caseworker to take it up."),
    Case.Status.ACKNOWLEDGED: gettext_lazy("A caseworker has it and has started reading it."),
    Case.Status.IN_PROGRESS: gettext_lazy("Your caseworker is working on what you asked for."),
    Case.Status.REFERRED: gettext_lazy(
        "Your caseworker has referred you to another service, as you agreed."
    ),
    Case.Status.CLOSED: gettext_lazy(
        "The work on it has ended. You can still read the messages here."
    ),
}


def _form_token(request: HttpRequest, form: Any) -> str:
    """The one-time token of a message or addition form: the one it came with when it is shown
    again with an error, else a new one."""
    if form is not None and form.is_bound:
        return request.POST.get("form_token", "")[:100] or secrets.token_urlsafe(24)
    return secrets.token_urlsafe(24)


def _render_case(
    request: HttpRequest, case: Case, case_key: bytes, status: int = 200, **forms: Any
) -> HttpResponse:
    view = actions.read_case(case, case_key)
    justice = actions.justice_consent(case, case_key)
    referral_form = forms.get("referral_form") or ReferralConsentForm(
        initial={"referral": "yes" if view.referral_consent else "no"}
    )
    context = {
        "view": view,
        "status_sentence": STATUS_SENTENCES.get(str(case.status), ""),
        "answer_time": answer_time(case.urgent) if case.status == Case.Status.RECEIVED else "",
        "session_minutes": settings.INTAKE_SESSION_SECONDS // 60,
        "message_token": _form_token(request, forms.get("message_form")),
        "addition_token": _form_token(request, forms.get("addition_form")),
        "referral_form": referral_form,
        "message_form": forms.get("message_form") or MessageForm(),
        "addition_form": forms.get("addition_form") or AdditionForm(),
        "contact_form": forms.get("contact_form") or ContactForm(),
        "notice": forms.get("notice"),
        "errors": forms.get("errors", []),
        "max_files": settings.INTAKE_MAX_FILES,
        # Where she agreed documentation may go (her own page for it: intake/survivor/justice.py).
        "justice_kinds": [
            label for kind, label in JusticeRecipient.Kind.choices if justice.allows(kind)
        ],
    }
    return render(request, "intake/case.html", context, status=status)


@never_cache
@require_GET
@survivor_session_required
def case_page(request: HttpRequest, case: Case, case_key: bytes) -> HttpResponse:
    notice = {
        "sent": _("Your message was sent."),
        "added": _("Your information was added."),
        "contact": _("Your contact details were changed."),
        "referral": _("Your choice about referrals was saved."),
    }.get(request.GET.get("done", ""))
    return _render_case(request, case, case_key, notice=notice)


@never_cache
@require_POST
@survivor_session_required
def send_message(request: HttpRequest, case: Case, case_key: bytes) -> HttpResponse:
    token = request.POST.get("form_token", "")[:100]
    if token_used(token):
        return already_sent(request)
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _render_case(request, case, case_key, status=400, message_form=form)
    try:
        actions.send_survivor_message(case, case_key, form.cleaned_data["text"], form_token=token)
    except actions.DuplicateSubmission:
        return already_sent(request)
    return redirect(reverse("intake:case") + "?done=sent")


@never_cache
@csrf_exempt  # checked in _add_information, after the encrypting upload handler is in place
@require_POST
def add_information(request: HttpRequest) -> HttpResponse:
    try:
        case, case_key = survivor_case(request)
    except db.Error:
        request.upload_handlers = []
        logger.exception("the database failed on a survivor's page")
        return later_not_saved(request, files=True)
    except SurvivorSessionExpired as ended:
        request.upload_handlers = []
        # This view is exempt from the CSRF middleware: check before showing anything posted.
        return csrf_protect(ask_for_receipt)(request, ended)
    except SurvivorSessionUnavailable:
        request.upload_handlers = []
        context = {"form": ReceiptForm(), "refused": UNAVAILABLE}
        return render(request, "intake/return.html", context, status=503)
    handler = EncryptingUploadHandler(request, case_key=case_key, case_id=case.case_id)
    request.upload_handlers = [handler]
    try:
        return _add_information(request, handler, case, case_key)
    finally:
        # As in submit: files streamed before a refusal (the CSRF check too) are removed.
        if not handler.kept:
            handler.discard()


@csrf_protect
def _add_information(
    request: HttpRequest, handler: EncryptingUploadHandler, case: Case, case_key: bytes
) -> HttpResponse:
    form = AdditionForm(request.POST)
    if handler.storage_failed:
        # The disk refused a file: add nothing (not even the text), and say so; the text stays.
        handler.discard()
        errors = [
            _("Something went wrong on our side"),
            _("No file was kept. Please choose your files again."),
        ]
        return _render_case(request, case, case_key, status=503, addition_form=form, errors=errors)
    token = request.POST.get("form_token", "")[:100]
    if token_used(token):
        handler.discard()
        return already_sent(request)
    problems = upload_problems(handler)
    if not form.is_valid() or problems or not (form.cleaned_data["text"] or handler.received):
        handler.discard()
        if not problems and form.is_valid():
            problems = [_("Please write something or choose a file to add.")]
        return _render_case(
            request, case, case_key, status=400, addition_form=form, errors=problems
        )
    try:
        actions.add_information(
            case, case_key, form.cleaned_data["text"], handler.received, form_token=token
        )
    except actions.DuplicateSubmission:
        handler.discard()
        return already_sent(request)
    except actions.SaveUncertain:
        # The files are kept: if the addition was saved, they belong to it (if not, the sweeper
        # removes them later).
        handler.keep()
        logger.exception("information may or may not have been added")
        files = bool(handler.file_count or request.FILES)
        return later_not_saved(request, files=files, uncertain=True)
    except db.Error:
        handler.discard()
        logger.exception("information could not be added")
        return later_not_saved(request, files=bool(handler.file_count or request.FILES))
    handler.keep()
    return redirect(reverse("intake:case") + "?done=added")


@never_cache
@require_POST
@survivor_session_required
def change_contact(request: HttpRequest, case: Case, case_key: bytes) -> HttpResponse:
    form = ContactForm(request.POST)
    if not form.is_valid():
        return _render_case(request, case, case_key, status=400, contact_form=form)
    data = form.cleaned_data
    contact = (
        {
            "channel": data["contact_channel"],
            "address": data["contact_address"],
            "times": data["contact_times"],
            "code_word": data["contact_code_word"],
        }
        if data["contact_channel"]
        else None
    )
    actions.change_contact(case, case_key, contact)
    return redirect(reverse("intake:case") + "?done=contact")


@never_cache
@require_POST
@survivor_session_required
def referral_consent(request: HttpRequest, case: Case, case_key: bytes) -> HttpResponse:
    form = ReferralConsentForm(request.POST)
    if not form.is_valid():
        return _render_case(request, case, case_key, status=400, referral_form=form)
    actions.set_referral_consent(case, case_key, form.cleaned_data["referral"])
    return redirect(reverse("intake:case") + "?done=referral")


@never_cache
@require_http_methods(["GET", "POST"])
@survivor_session_required
def withdraw(request: HttpRequest, case: Case, case_key: bytes) -> HttpResponse:
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        actions.withdraw_case(case, case_key=case_key)
        context = {"backup_days": settings.BACKUP_RETENTION_DAYS}
        response = render(request, "intake/withdrawn.html", context)
        end_survivor_session(request, response)
        return response
    return render(
        request,
        "intake/withdraw.html",
        {"form": form, "backup_days": settings.BACKUP_RETENTION_DAYS},
    )
