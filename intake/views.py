"""The survivor's pages: share an account without logging in, and come back with the receipt.

Every page works without JavaScript and sends `Cache-Control: no-store` (never_cache). Nothing a
survivor types is stored until the final "Send": earlier steps carry the answers forward as hidden
fields. Writes go through intake/actions.py; a returning survivor's case comes only from
intake/access.py.
"""

import logging
import secrets
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from intake import actions, crypto, ratelimit
from intake.access import (
    NoSurvivorSession,
    SurvivorSessionExpired,
    SurvivorSessionUnavailable,
    end_survivor_session,
    open_case_with_receipt,
    start_survivor_session,
    survivor_case,
)
from intake.forms import (
    NOTHING_FILLED_IN,
    AccountForm,
    AdditionForm,
    ConsentForm,
    ContactForm,
    KeptWritingForm,
    MessageForm,
    ReceiptForm,
    ReferralConsentForm,
    WithdrawForm,
    account_answers,
    account_contact,
)
from intake.models import Case
from intake.uploads import EncryptingUploadHandler, UploadProblem
from portal.middleware import csrf_protect

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]

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


def _language() -> str:
    return get_language() or settings.LANGUAGE_CODE


def _upload_problems(handler: EncryptingUploadHandler) -> list[str]:
    problems = [str(UPLOAD_MESSAGES[p]) for p in dict.fromkeys(handler.problems)]
    if problems:
        problems.append(_("No file was kept. Please choose your files again."))
    return problems


def _forms(request: HttpRequest) -> tuple[ConsentForm, AccountForm]:
    consent = ConsentForm(request.POST, prefix="consent")
    account = AccountForm(
        request.POST, minor=consent.is_minor, language=_language(), prefix="account"
    )
    return consent, account


def _submission_token(request: HttpRequest) -> str:
    """The one token of this account's forms: made on the consent page and carried to Send, so
    that once the account is saved, any of its pages sent again shows "already sent" instead of
    what it carried (a page from Back, reloaded). A form without one gets a new one."""
    return request.POST.get("submission_token", "")[:100] or secrets.token_urlsafe(24)


def _token_used(token: str) -> bool:
    """actions.submission_token_used, where a database that does not answer means "no": the
    write that follows fails too, and says plainly that nothing was saved."""
    try:
        return actions.submission_token_used(token)
    except DatabaseError:
        logger.warning("cannot tell whether a form token was used: the database does not answer")
        return False


def _already_sent(request: HttpRequest) -> HttpResponse:
    """What a form sent again after it was saved shows: that it arrived, and nothing of it."""
    return render(request, "intake/already_sent.html", status=409)


def answer_time(urgent: bool) -> str:
    """How soon a caseworker usually takes up a new account: the routing deadline after which
    it is given to someone else (ROUTING_DEADLINE_HOURS, or ROUTING_URGENT_DEADLINE_HOURS for
    a survivor in danger; intake/tasks.py enforces it)."""
    hours = settings.ROUTING_URGENT_DEADLINE_HOURS if urgent else settings.ROUTING_DEADLINE_HOURS
    if hours >= 48 and hours % 24 == 0:
        days = hours // 24
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}


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


# --- Sharing an account ------------------------------------------------------------------------


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
    if _token_used(request.POST.get("submission_token", "")):
        return _already_sent(request)
    consent_form = ConsentForm(request.POST, prefix="consent")
    if not consent_form.is_valid():
        return _render_consent(request, consent_form)
    # Coming back from the review page to change something: show what was typed.
    editing = "edit" in request.POST
    account_form = AccountForm(
        request.POST if editing else None,
        minor=consent_form.is_minor,
        language=_language(),
        prefix="account",
    )
    return _render_account(request, consent_form, account_form)


@never_cache
@require_POST
def review(request: HttpRequest) -> HttpResponse:
    if _token_used(request.POST.get("submission_token", "")):
        return _already_sent(request)
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
    problems = _upload_problems(handler)
    if not problems and account_form.is_empty() and not handler.received:
        problems = [str(NOTHING_FILLED_IN)]
    if problems:
        handler.discard()
        return _render_review(request, consent_form, account_form, errors=problems, status=400)
    if _token_used(request.POST.get("submission_token", "")):
        # The receipt page reloaded, or Send pressed twice: nothing new, and nothing counted.
        handler.discard()
        return _already_sent(request)
    # Only a request that passed the per-client limit, the CSRF check and validation counts
    # toward the ceiling for everyone: refused requests cannot use it up.
    ratelimit.count_toward_ceiling("submit", settings.INTAKE_SUBMISSION_CEILING)
    try:
        submitted = actions.submit_account(
            case_key=case_key,
            public_id=public_id,
            answers=account_answers(consent_form, account_form, _language()),
            contact=account_contact(account_form),
            uploads=handler.received,
            submission_token=request.POST.get("submission_token", ""),
        )
    except actions.DuplicateSubmission:
        handler.discard()
        return _already_sent(request)
    except actions.SaveUncertain:
        # The files are kept: if the account was saved, they belong to it. If it was not, the
        # sweeper removes them later (intake.tasks.sweep_orphan_files).
        handler.keep()
        logger.exception("an account may or may not have been saved")
        return _not_saved(request, handler, consent_form, account_form, uncertain=True)
    except DatabaseError:
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


# --- Coming back with the receipt --------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def return_with_receipt(request: HttpRequest) -> HttpResponse:
    expired = request.GET.get("expired") == "1"
    if request.method == "GET":
        return render(request, "intake/return.html", {"form": ReceiptForm(), "expired": expired})
    form = ReceiptForm(request.POST)
    # A message or addition typed after the session ended comes back with the code (see
    # _ask_for_receipt): it is shown again whatever happens here, and sent once the code opens
    # the account.
    kept = KeptWritingForm(request.POST, prefix="kept") if "kept-kind" in request.POST else None
    context: dict[str, Any] = {"form": form, "kept": kept, "expired": kept is not None}
    # The CSRF middleware has checked this request already (this view is not exempt).
    if not ratelimit.client_allowed(request, "receipt", settings.INTAKE_RECEIPT_LIMIT):
        form.is_valid()
        context["refused"] = _(
            "Too many codes were tried from this connection. For your safety, please wait 15 "
            "minutes and try again."
        )
        return render(request, "intake/return.html", context, status=429)
    valid = form.is_valid()
    if not valid or (kept is not None and not kept.is_valid()):
        return render(request, "intake/return.html", context, status=400)
    ratelimit.count_toward_ceiling("receipt", settings.INTAKE_RECEIPT_CEILING)
    opened = open_case_with_receipt(form.cleaned_data["receipt"])
    if opened is None:
        form.add_error(
            "receipt",
            _(
                "We could not find an account with this code. Please check the digits. If the "
                "account was withdrawn, it no longer exists."
            ),
        )
        return render(request, "intake/return.html", context, status=404)
    case, case_key = opened
    response = HttpResponseRedirect(reverse("intake:case"))
    try:
        start_survivor_session(response, case, case_key)
    except SurvivorSessionUnavailable:
        logger.exception("survivor sessions are unavailable: the cache does not answer")
        context["refused"] = UNAVAILABLE
        return render(request, "intake/return.html", context, status=503)
    if kept is not None and kept.cleaned_data["text"].strip():
        return _send_kept(request, response, kept, case, case_key)
    return response


def _send_kept(
    request: HttpRequest,
    response: HttpResponseRedirect,
    kept: KeptWritingForm,
    case: Case,
    case_key: bytes,
) -> HttpResponse:
    """Send what was kept through the sign-in, then go on to her page (`response`, which
    carries the new session's cookie). A form already sent is not sent twice."""
    text, token = kept.cleaned_data["text"], kept.cleaned_data["form_token"]
    is_message = kept.cleaned_data["kind"] == "message"
    try:
        if is_message:
            actions.send_survivor_message(case, case_key, text, form_token=token)
        else:
            actions.add_information(case, case_key, text, [], form_token=token)
    except actions.DuplicateSubmission:
        return response
    except (actions.SaveUncertain, DatabaseError) as error:
        logger.exception("what a survivor wrote could not be saved after signing in again")
        action = reverse("intake:message" if is_message else "intake:add")
        failed = _later_not_saved(
            request,
            uncertain=isinstance(error, actions.SaveUncertain),
            action=action,
            text=text,
            fields=[("form_token", token)],
        )
        # She is signed in: "Try again" posts to her page's form.
        failed.cookies = response.cookies
        return failed
    response["Location"] += "?done=sent" if is_message else "?done=added"
    return response


def survivor_session_required(view: View) -> View:
    """Give the view the survivor's case and key, or send them to enter the receipt again."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            case, case_key = survivor_case(request)
            return view(request, case, case_key, *args, **kwargs)
        except SurvivorSessionExpired as ended:
            return _ask_for_receipt(request, ended)
        except SurvivorSessionUnavailable:
            logger.exception("survivor sessions are unavailable: the cache does not answer")
            form = ReceiptForm()
            context = {"form": form, "refused": UNAVAILABLE}
            return render(request, "intake/return.html", context, status=503)
        except actions.SaveUncertain:
            logger.exception("something a survivor sent may or may not have been saved")
            return _later_not_saved(request, uncertain=True)
        except DatabaseError:
            logger.exception("the database failed on a survivor's page")
            return _later_not_saved(request)

    return wrapper


# The survivor's forms whose words are kept through a new sign-in, and the name they go by in
# KeptWritingForm.
KEPT_FORMS = {"message": "message", "add": "addition"}


def _ask_for_receipt(request: HttpRequest, ended: SurvivorSessionExpired) -> HttpResponse:
    """The receipt form again. "You were signed out" only for a session that timed out: after
    the quick exit there is no cookie, and whoever presses Back then sees the plain form, which
    says nothing of an account.

    A message or addition sent after the session timed out is not lost: the receipt form comes
    back with it, to be sent once the code is entered (return_with_receipt). It is carried in
    the page, never stored on the server. A form that was already sent shows only that it was.
    """
    if isinstance(ended, NoSurvivorSession):
        return redirect("intake:return")
    match = request.resolver_match
    kind = KEPT_FORMS.get(match.url_name or "") if match and request.method == "POST" else None
    text = request.POST.get("text", "") if kind else ""
    if not kind or not text.strip():
        return redirect(reverse("intake:return") + "?expired=1")
    token = request.POST.get("form_token", "")[:100]
    if _token_used(token):
        return _already_sent(request)
    kept = KeptWritingForm(prefix="kept", initial={"kind": kind, "text": text, "form_token": token})
    context = {"form": ReceiptForm(), "kept": kept, "expired": True}
    return render(request, "intake/return.html", context)


def _later_not_saved(
    request: HttpRequest,
    *,
    files: bool = False,
    uncertain: bool = False,
    action: str = "",
    text: str | None = None,
    fields: list[tuple[str, Any]] | None = None,
) -> HttpResponse:
    """The database failed while a returning survivor read or sent something: say plainly that
    nothing was saved, and give back what they sent, ready to send again. (The account page
    itself cannot be shown: it is read from the database.) `uncertain`: the connection broke at
    the very moment of saving and nobody can tell whether it was saved; they are told so.
    `action`, `text` and `fields` say where to send it again when that is not where it came from
    (what was kept through a new sign-in)."""
    if fields is None:
        fields = [
            (name, value)
            for name, value in request.POST.items()
            if name not in ("csrfmiddlewaretoken", "text")
        ]
    context = {
        "sent": request.method == "POST",
        "action": action or request.path,
        "text": request.POST.get("text") if text is None else text,
        "fields": fields,
        "files": files,
        "uncertain": uncertain,
    }
    return render(request, "intake/not_saved.html", context, status=503)


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
    if _token_used(token):
        return _already_sent(request)
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _render_case(request, case, case_key, status=400, message_form=form)
    try:
        actions.send_survivor_message(case, case_key, form.cleaned_data["text"], form_token=token)
    except actions.DuplicateSubmission:
        return _already_sent(request)
    return redirect(reverse("intake:case") + "?done=sent")


@never_cache
@csrf_exempt  # checked in _add_information, after the encrypting upload handler is in place
@require_POST
def add_information(request: HttpRequest) -> HttpResponse:
    try:
        case, case_key = survivor_case(request)
    except DatabaseError:
        request.upload_handlers = []
        logger.exception("the database failed on a survivor's page")
        return _later_not_saved(request, files=True)
    except SurvivorSessionExpired as ended:
        request.upload_handlers = []
        # This view is exempt from the CSRF middleware: check before showing anything posted.
        return csrf_protect(_ask_for_receipt)(request, ended)
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
    if _token_used(token):
        handler.discard()
        return _already_sent(request)
    problems = _upload_problems(handler)
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
        return _already_sent(request)
    except actions.SaveUncertain:
        # The files are kept: if the addition was saved, they belong to it (if not, the sweeper
        # removes them later).
        handler.keep()
        logger.exception("information may or may not have been added")
        files = bool(handler.file_count or request.FILES)
        return _later_not_saved(request, files=files, uncertain=True)
    except DatabaseError:
        handler.discard()
        logger.exception("information could not be added")
        return _later_not_saved(request, files=bool(handler.file_count or request.FILES))
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
        actions.withdraw_case(case)
        context = {"backup_days": settings.BACKUP_RETENTION_DAYS}
        response = render(request, "intake/withdrawn.html", context)
        end_survivor_session(request, response)
        return response
    return render(
        request,
        "intake/withdraw.html",
        {"form": form, "backup_days": settings.BACKUP_RETENTION_DAYS},
    )


@never_cache
@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    response = redirect("home")
    end_survivor_session(request, response)
    return response


# What the quick exit asks the browser to forget of this site: its cache (the back-forward cache
# too, in Chromium), its cookies (the survivor's session cookie, the CSRF cookie) and anything
# stored. Browsers apply it to the redirect itself, before the neutral site loads.
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'


@never_cache
@require_safe
def quick_exit(request: HttpRequest) -> HttpResponse:
    """The quick exit on every survivor page (templates/base.html) comes here first: a returning
    survivor's session ends on the server, the browser is told to forget this site, and it goes
    on to the neutral site. Back then shows nothing of her account (DESIGN.md invariant 8).
    Without JavaScript this is a plain link; static/js/quick-exit.js replaces the history entry
    with it."""
    response = HttpResponseRedirect(settings.QUICK_EXIT_URL)
    end_survivor_session(request, response)
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response
