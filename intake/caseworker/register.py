"""The coordinators' pages of documentation packages (issue 17): the recipients packages may be
encrypted to, and the register of every package prepared. Everyone else gets a 404.

Nothing is ever sent by the portal: a coordinator records that a person sent a package (the
password asked again), and a package a survivor stopped says "do not send" and cannot be
recorded as sent.
"""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from intake import actions
from intake.caseworker.decorators import ask_password_again, coordinator_required
from intake.caseworker.package_forms import RecipientForm
from intake.models import DocumentationPackage, JusticeRecipient, StaffProfile

REGISTER_PAGE_SIZE = 50


def _recipients_page(
    request: HttpRequest, form: RecipientForm | None = None, status: int = 200
) -> HttpResponse:
    context = {
        "recipients": JusticeRecipient.objects.select_related("registered_by"),
        "form": form or RecipientForm(),
        "confirmation": " ".join(str(m) for m in messages.get_messages(request)),
    }
    return render(request, "caseworker/recipients.html", context, status=status)


@never_cache
@require_GET
@coordinator_required
def recipients(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    return _recipients_page(request)


def _valid_recipient(
    request: HttpRequest, profile: StaffProfile
) -> tuple[Any, ...] | HttpResponseBase:
    form = RecipientForm(request.POST)
    if not form.is_valid():
        return _recipients_page(request, form, status=400)
    return (form,)


@never_cache
@require_POST
@coordinator_required
# Where survivors' accounts may be encrypted to: the password is asked again, once the form is
# valid.
@ask_password_again(after=_valid_recipient)
def add_recipient(request: HttpRequest, profile: StaffProfile, form: RecipientForm) -> HttpResponse:
    actions.register_recipient(profile, **form.cleaned_data)
    messages.success(request, _("Recipient registered."))
    return redirect("caseworker:recipients")


@never_cache
@require_POST
@coordinator_required
def retire_recipient(request: HttpRequest, profile: StaffProfile, public_id: str) -> HttpResponse:
    recipient = JusticeRecipient.objects.filter(public_id=public_id).first()
    if recipient is None:
        raise Http404
    actions.retire_recipient(profile, recipient)
    messages.success(request, _("Recipient retired: no more packages can be prepared for it."))
    return redirect("caseworker:recipients")


def _register_page(request: HttpRequest, status: int = 200, refusal: str = "") -> HttpResponse:
    packages = DocumentationPackage.objects.select_related(
        "recipient", "prepared_by", "sent_by"
    ).order_by("-id")
    context = {
        "page": Paginator(packages, REGISTER_PAGE_SIZE).get_page(request.GET.get("page")),
        "refusal": refusal,
        "confirmation": " ".join(str(m) for m in messages.get_messages(request)),
    }
    return render(request, "caseworker/register.html", context, status=status)


@never_cache
@require_GET
@coordinator_required
def register(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    return _register_page(request)


def _the_package(
    request: HttpRequest, profile: StaffProfile, public_id: str
) -> tuple[Any, ...] | HttpResponseBase:
    package = DocumentationPackage.objects.filter(public_id=public_id).first()
    if package is None:
        raise Http404
    if package.state == DocumentationPackage.State.STOPPED:
        # Refused before the password is asked: there is nothing to confirm.
        return _register_page(request, status=409, refusal=_stopped())
    return (package,)


def _stopped() -> str:
    return _(
        "This package was stopped: a survivor whose account is in it changed her choice "
        "before it was sent. Do not send it, and delete the file wherever it was kept."
    )


@never_cache
@require_POST
@coordinator_required
@ask_password_again(after=_the_package)
def record_sent(
    request: HttpRequest, profile: StaffProfile, package: DocumentationPackage
) -> HttpResponse:
    try:
        recorded = actions.record_package_sent(profile, package)
    except actions.PackageStopped:
        return _register_page(request, status=409, refusal=_stopped())
    if recorded:
        messages.success(request, _("Recorded as sent."))
    else:
        messages.success(request, _("This package was already recorded as sent."))
    return redirect("caseworker:register")
