"""Documentation for justice, as the caseworker prepares it (issue 17): the case page's section,
a package for one case or for several, and the organisation's public signing key.

Every case is opened through the access door (intake.access.decrypt_case_for_staff, audited
"case.opened_to_package"): anyone who may not read it gets a 404, as on every case page. A case
whose survivor did not choose the recipient's kind of office is a 404 too, here and again in the
action (actions.prepare_package). The password is asked again before a package is made.

A package request is one transaction (`in_one_transaction`): the case rows are locked first
(actions.hold_cases), then the cases are opened, and the action writes the register and its
audit entries; a refusal after the opening keeps the opening entries.
"""

import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.defaults import page_not_found

from intake import actions
from intake.access import CaseNotAvailable, cases_for_staff, decrypt_case_for_staff
from intake.caseworker.decorators import View, ask_password_again, staff_required
from intake.caseworker.summaries import language_name
from intake.models import Case, DocumentationPackage, JusticeRecipient, StaffProfile
from intake.packages import signing

OPENED = "case.opened_to_package"


def kind_labels(kinds: Iterable[str]) -> list[str]:
    return [str(JusticeRecipient.Kind(kind).label) for kind in sorted(kinds)]


def signing_ready() -> bool:
    try:
        signing.load_signing_key()
    except signing.SigningKeyMissing:
        return False
    return True


def justice_section(case: Case, case_key: bytes) -> dict[str, Any]:
    """The case page's "Documentation for justice": her choices, and a button for each active
    recipient of a kind she chose. No query unless she chose something."""
    consent = actions.justice_consent(case, case_key)
    section: dict[str, Any] = {"consent": consent, "chosen": kind_labels(consent.recipients)}
    if consent.recipients:
        section |= {
            "language": language_name(consent.language) if consent.language else "",
            "recipients": JusticeRecipient.objects.filter(active=True, kind__in=consent.recipients),
            "packages": DocumentationPackage.objects.filter(cases__case=case).select_related(
                "recipient"
            ),
            "key_ready": signing_ready(),
        }
    return section


def _problem(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "caseworker/package_problem.html", {"message": message}, status=status)


def _key_missing(request: HttpRequest) -> HttpResponse:
    return _problem(
        request,
        _(
            "Packages cannot be prepared yet: the organisation's signing key is not set up. "
            "Ask the operator to run manage.py init_package_key (docs/packages.md)."
        ),
        503,
    )


def in_one_transaction(view: View) -> View:
    """The whole request in one transaction (see the module's docstring)."""
    return transaction.atomic(view)


def _open_for_package(
    request: HttpRequest, profile: StaffProfile, recipient_id: Any, public_ids: list[str]
) -> tuple[JusticeRecipient, list[tuple[Case, bytes]]] | HttpResponseBase:
    """The recipient and the cases opened for it, or the response to give instead. A case this
    caseworker does not hold: 404 before anything is opened. A case whose survivor did not
    choose this kind of office: a 404 response (not raised, so that the opening stays in the
    log)."""
    if not signing_ready():
        return _key_missing(request)
    recipient = JusticeRecipient.objects.filter(public_id=recipient_id, active=True).first()
    if recipient is None or not public_ids:
        raise Http404
    held = cases_for_staff(profile).filter(public_id__in=public_ids)
    if held.count() != len(set(public_ids)):
        raise Http404
    actions.hold_cases(public_ids)
    opened = []
    for public_id in dict.fromkeys(public_ids):
        try:
            opened.append(decrypt_case_for_staff(request, profile, public_id, action=OPENED))
        except CaseNotAvailable:
            raise Http404 from None
    for case, case_key in opened:
        try:
            actions.chosen_consent(case, case_key, recipient)
        except actions.NotChosen:
            return page_not_found(request, Http404())
    return recipient, opened


def _one_case(
    request: HttpRequest, profile: StaffProfile, public_id: Any, recipient_id: Any
) -> tuple[Any, ...] | HttpResponseBase:
    return _open_for_package(request, profile, recipient_id, [str(public_id)])


def _chosen_cases(
    request: HttpRequest, profile: StaffProfile, recipient_id: Any
) -> tuple[Any, ...] | HttpResponseBase:
    public_ids = []
    for value in request.POST.getlist("cases"):
        try:
            public_ids.append(str(uuid.UUID(value)))
        except ValueError:
            raise Http404 from None
    if not public_ids:
        return _problem(request, _("Choose at least one case for the package."), 400)
    return _open_for_package(request, profile, recipient_id, public_ids)


def _prepare(
    request: HttpRequest,
    profile: StaffProfile,
    recipient: JusticeRecipient,
    opened: list[tuple[Case, bytes]],
) -> HttpResponse:
    try:
        with transaction.atomic():
            prepared = actions.prepare_package(profile, recipient, opened)
    except actions.NotChosen:
        return page_not_found(request, Http404())
    except actions.FileAltered:
        return _problem(
            request,
            _(
                "A file of this account does not match the fingerprint it had when it was "
                "received, or is missing. Nothing was prepared. Tell the operator: the stored "
                "file may have been altered."
            ),
            409,
        )
    except actions.PackageRefused:
        return _problem(
            request,
            _(
                "The survivor's choices changed while the package was being prepared, or the "
                "recipient was retired. Nothing was prepared: open the case again."
            ),
            409,
        )
    except signing.SigningKeyMissing:
        return _key_missing(request)
    # The encrypted package goes to the caseworker's browser and nowhere else: the portal keeps
    # its hashes in the register, never the file.
    response = HttpResponse(prepared.data, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{prepared.filename}"'
    return response


@never_cache
@require_POST
@staff_required
@in_one_transaction
@ask_password_again(after=_one_case)
def prepare_for_case(
    request: HttpRequest,
    profile: StaffProfile,
    recipient: JusticeRecipient,
    opened: list[tuple[Case, bytes]],
) -> HttpResponse:
    return _prepare(request, profile, recipient, opened)


@never_cache
@require_POST
@staff_required
@in_one_transaction
@ask_password_again(after=_chosen_cases)
def prepare_for_cases(
    request: HttpRequest,
    profile: StaffProfile,
    recipient: JusticeRecipient,
    opened: list[tuple[Case, bytes]],
) -> HttpResponse:
    return _prepare(request, profile, recipient, opened)


@never_cache
@require_GET
@staff_required
def choose_cases(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    """One package for several of this caseworker's cases: choose a recipient, then the cases
    whose survivor chose its kind. Listing them opens each of her cases (audited)."""
    recipients = JusticeRecipient.objects.filter(active=True)
    context: dict[str, Any] = {"recipients": recipients, "key_ready": signing_ready()}
    chosen_id = request.GET.get("recipient")
    if chosen_id and context["key_ready"]:
        try:
            recipient = recipients.get(public_id=uuid.UUID(chosen_id))
        except (ValueError, JusticeRecipient.DoesNotExist):
            raise Http404 from None
        cases = []
        for public_id in cases_for_staff(profile).values_list("public_id", flat=True):
            try:
                case, case_key = decrypt_case_for_staff(
                    request, profile, str(public_id), action=OPENED
                )
            except CaseNotAvailable:
                continue
            consent = actions.justice_consent(case, case_key)
            if consent.allows(recipient.kind):
                cases.append({"case": case, "with_identity": consent.with_identity})
        context |= {"recipient": recipient, "cases": cases}
    return render(request, "caseworker/package_choose.html", context)


@never_cache
@require_GET
@staff_required
def signing_key(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    """The organisation's public key and its fingerprint, to give to recipients."""
    try:
        public = signing.load_public_key()
    except signing.SigningKeyMissing:
        return render(request, "caseworker/package_key.html", {"ready": False})
    context = {
        "ready": True,
        "fingerprint": signing.fingerprint(public),
        "pem": signing.public_pem(public).decode(),
    }
    if request.GET.get("download"):
        response = HttpResponse(context["pem"], content_type="application/x-pem-file")
        response["Content-Disposition"] = 'attachment; filename="org-public.pem"'
        return response
    return render(request, "caseworker/package_key.html", context)
