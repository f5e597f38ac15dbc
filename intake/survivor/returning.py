"""A survivor coming back: opening her account with the receipt code, what her pages do once the
session has ended (ask for the code again, keeping what she wrote), leaving, and the quick exit.

A returning survivor's case comes only from intake/access.py; her account's pages are in
intake/survivor/my_account.py.
"""

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import db
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from intake import actions, ratelimit
from intake.access import (
    NoSurvivorSession,
    SurvivorSessionExpired,
    SurvivorSessionUnavailable,
    end_survivor_session,
    open_case_with_receipt,
    start_survivor_session,
    survivor_case,
)
from intake.models import Case
from intake.survivor.common import UNAVAILABLE, already_sent, token_used
from intake.survivor.forms import KeptWritingForm, ReceiptForm

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]


@never_cache
@require_http_methods(["GET", "POST"])
def return_with_receipt(request: HttpRequest) -> HttpResponse:
    expired = request.GET.get("expired") == "1"
    if request.method == "GET":
        return render(request, "intake/return.html", {"form": ReceiptForm(), "expired": expired})
    form = ReceiptForm(request.POST)
    # A message or addition typed after the session ended comes back with the code (see
    # ask_for_receipt): it is shown again whatever happens here, and sent once the code opens
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
    except (actions.SaveUncertain, db.Error) as error:
        logger.exception("what a survivor wrote could not be saved after signing in again")
        action = reverse("intake:message" if is_message else "intake:add")
        failed = later_not_saved(
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
            return ask_for_receipt(request, ended)
        except SurvivorSessionUnavailable:
            logger.exception("survivor sessions are unavailable: the cache does not answer")
            form = ReceiptForm()
            context = {"form": form, "refused": UNAVAILABLE}
            return render(request, "intake/return.html", context, status=503)
        except actions.SaveUncertain:
            logger.exception("something a survivor sent may or may not have been saved")
            return later_not_saved(request, uncertain=True)
        except db.Error:
            logger.exception("the database failed on a survivor's page")
            return later_not_saved(request)

    return wrapper


# The survivor's forms whose words are kept through a new sign-in, and the name they go by in
# KeptWritingForm.
KEPT_FORMS = {"message": "message", "add": "addition"}


def ask_for_receipt(request: HttpRequest, ended: SurvivorSessionExpired) -> HttpResponse:
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
    if token_used(token):
        return already_sent(request)
    kept = KeptWritingForm(prefix="kept", initial={"kind": kind, "text": text, "form_token": token})
    context = {"form": ReceiptForm(), "kept": kept, "expired": True}
    return render(request, "intake/return.html", context)


def later_not_saved(
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
    on to the neutral site. Back then shows nothing of her account (docs/security.md, section 4).
    Without JavaScript this is a plain link; static/js/quick-exit.js replaces the history entry
    with it."""
    response = HttpResponseRedirect(settings.QUICK_EXIT_URL)
    end_survivor_session(request, response)
    response["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response
