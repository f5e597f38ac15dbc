"""A case as its caseworker works on it: reading it, acknowledging it, replies, status, files,
notes, referrals, export, and giving it to someone else (hand-over, escalation).

Every page finds the case through intake.access.decrypt_case_for_staff, which audits the opening;
anyone who may not read the case gets a 404, as if it did not exist.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from intake import actions
from intake.access import CaseNotAvailable, cases_for_staff, decrypt_case_for_staff
from intake.answers import answer_rows
from intake.caseworker.case_urls import case_page_urls
from intake.caseworker.decorators import Finder, ask_password_again, staff_required
from intake.caseworker.forms import (
    ColleagueForm,
    NoteForm,
    ReferralForm,
    ReferralOutcomeForm,
    ReplyForm,
    StatusForm,
    blank_field_group,
)
from intake.caseworker.packages import justice_section
from intake.caseworker.summaries import acknowledge_by, harm_names, language_name
from intake.models import Attachment, Case, Referral, StaffProfile


def _case_or_404(
    request: HttpRequest, profile: StaffProfile, public_id: str, action: str
) -> tuple[Case, bytes]:
    try:
        return decrypt_case_for_staff(request, profile, public_id, action=action)
    except CaseNotAvailable:
        raise Http404 from None


def _the_case(action: str) -> Finder:
    """For ask_password_again: the case and its key, opened (and audited) as `action`."""

    def find(request: HttpRequest, profile: StaffProfile, public_id: str) -> tuple[Case, bytes]:
        return _case_or_404(request, profile, public_id, action)

    return find


def _render_case(
    request: HttpRequest,
    profile: StaffProfile,
    case: Case,
    case_key: bytes,
    *,
    reply_form: ReplyForm | None = None,
    status_form: StatusForm | None = None,
    referral_form: ReferralForm | None = None,
    note_form: NoteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    items = actions.sealed_items(case, notes=True)
    view = actions.read_case(case, case_key, items)
    harms = view.answers.get("harms")
    context = {
        "case": case,
        "urls": case_page_urls(case.public_id),
        "view": view,
        "rows": answer_rows(view.answers),
        # The kinds of harm, said before the account is unfolded (a content note).
        "content_note": harm_names(harms) if isinstance(harms, list) else "",
        "language": language_name(view.answers.get("preferred_language") or ""),
        "acknowledge_by": acknowledge_by(case),
        "confirmations": {
            message.extra_tags or "page": str(message) for message in messages.get_messages(request)
        },
        # A form only when it came back with errors; otherwise its fields are the blank ones,
        # rendered once (blank_field_group).
        "reply_form": reply_form,
        "status_form": status_form,
        "notes": actions.read_notes(case, case_key, items),
        "note_form": note_form,
        "referral_form": referral_form,
        "outcome_choices": Referral.OUTCOMES,
        "justice": justice_section(case, case_key),
        "fields": {
            "reply": blank_field_group(reply_form or ReplyForm, "text"),
            "note": blank_field_group(note_form or NoteForm, "text"),
            "service_type": blank_field_group(referral_form or ReferralForm, "service_type"),
            "organisation": blank_field_group(referral_form or ReferralForm, "organisation"),
            "outcome": blank_field_group(referral_form or ReferralForm, "outcome"),
            "reason": blank_field_group(status_form or StatusForm, "reason"),
        },
    }
    return render(request, "caseworker/case.html", context, status=status)


def _back_to_section(
    request: HttpRequest, public_id: str, section: str, confirmation: str
) -> HttpResponse:
    """After an action: back to the section it was done in (the case page's `id`), where
    `confirmation` is shown, with the account folded as on every visit. No copy of what the
    caseworker wrote is carried: the page shows it from the case."""
    messages.success(request, confirmation, extra_tags=section)
    return redirect(reverse("caseworker:case", args=[public_id]) + "#" + section)


def _back_to_queue(request: HttpRequest, confirmation: str) -> HttpResponse:
    """After an action that ends this caseworker's access: the queue, with `confirmation`."""
    messages.success(request, confirmation, extra_tags="queue")
    return redirect("caseworker:queue")


@never_cache
@require_GET
@staff_required
def case_page(request: HttpRequest, profile: StaffProfile, public_id: str) -> HttpResponse:
    case, case_key = _case_or_404(request, profile, public_id, "case.viewed")
    return _render_case(request, profile, case, case_key)


@never_cache
@require_POST
@staff_required
def acknowledge(request: HttpRequest, profile: StaffProfile, public_id: str) -> HttpResponse:
    case, _key = _case_or_404(request, profile, public_id, "case.opened_to_acknowledge")
    actions.acknowledge_case(case, profile)
    return _back_to_section(
        request,
        public_id,
        "overview",
        _("You have taken this case. The survivor can see that it is with a caseworker."),
    )


@never_cache
@require_POST
@staff_required
def reply(request: HttpRequest, profile: StaffProfile, public_id: str) -> HttpResponse:
    case, case_key = _case_or_404(request, profile, public_id, "case.opened_to_reply")
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _render_case(request, profile, case, case_key, reply_form=form, status=400)
    actions.reply_to_survivor(case, case_key, profile, form.cleaned_data["text"])
    return _back_to_section(request, public_id, "messages", _("Message sent."))


@never_cache
@require_POST
@staff_required
def change_status(request: HttpRequest, profile: StaffProfile, public_id: str) -> HttpResponse:
    case, case_key = _case_or_404(request, profile, public_id, "case.opened_to_change_status")
    form = StatusForm(request.POST)
    if (
        form.is_valid()
        and form.status == Case.Status.REFERRED
        and not actions.referral_consented(case, case_key)
    ):
        form.add_error(None, _("The survivor has not agreed to a referral."))
    if not form.is_valid():
        return _render_case(request, profile, case, case_key, status_form=form, status=400)
    actions.change_status(case, profile, form.status, form.cleaned_data["reason"])
    return _back_to_section(request, public_id, "status", _("Status changed."))


@never_cache
@require_GET
@staff_required
def download(
    request: HttpRequest, profile: StaffProfile, public_id: str, file_id: str
) -> StreamingHttpResponse:
    case, case_key = _case_or_404(request, profile, public_id, "case.file_downloaded")
    try:
        metadata, chunks = actions.open_attachment(case, case_key, file_id)
    except Attachment.DoesNotExist:
        raise Http404 from None
    response = StreamingHttpResponse(chunks, content_type=metadata["content_type"])
    # The survivor's own file name, in any script (RFC 6266 filename*), always as an attachment:
    # never shown inline, where a file could run in the portal's origin.
    name = metadata["name"][:200] or "attachment"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    response["Content-Length"] = str(metadata["size"])
    return response


# --- Hand-over and escalation ------------------------------------------------------------------


def _hand_over_page(
    request: HttpRequest, public_id: str, form: ColleagueForm, status: int = 200
) -> HttpResponse:
    context = {"public_id": public_id, "reference": str(public_id)[:8], "form": form}
    return render(request, "caseworker/hand_over.html", context, status=status)


@never_cache
@require_GET
@staff_required
def choose_colleague(request: HttpRequest, profile: StaffProfile, public_id: str) -> HttpResponse:
    """The hand-over form: a page of its own, reached from the case page, so that the list of
    every colleague a case could go to is read and drawn only when someone means to hand over
    (it was a quarter of every case page's time: docs/performance.md, issue 16). The page shows
    nothing of the case, so it does not open it: it only checks that this caseworker holds it."""
    if not cases_for_staff(profile).filter(public_id=public_id).exists():
        raise Http404
    return _hand_over_page(request, public_id, ColleagueForm(exclude_user=request.user))


@never_cache
@require_POST
@staff_required
# Giving a case to someone is a grant of access: the password is asked again, once the case is
# found (anyone else gets the same 404 as everywhere).
@ask_password_again(after=_the_case("case.opened_to_hand_over"))
def hand_over(
    request: HttpRequest, profile: StaffProfile, case: Case, case_key: bytes
) -> HttpResponse:
    form = ColleagueForm(request.POST, exclude_user=request.user)
    if not form.is_valid():
        return _hand_over_page(request, case.case_id, form, status=400)
    actions.hand_over(case, case_key, profile, form.cleaned_data["colleague"])
    return _back_to_queue(request, _("The case was handed over. You no longer have access to it."))


@never_cache
@require_POST
@staff_required
def escalate(request: HttpRequest, profile: StaffProfile, public_id: str) -> HttpResponse:
    case, _key = _case_or_404(request, profile, public_id, "case.opened_to_escalate")
    actions.escalate(case, profile)
    return _back_to_queue(
        request,
        _("The case was given back to the coordinators. You no longer have access to it."),
    )


@never_cache
@require_POST
@staff_required
def add_note(request: HttpRequest, profile: StaffProfile, public_id: str) -> HttpResponse:
    case, case_key = _case_or_404(request, profile, public_id, "case.opened_to_add_note")
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_case(request, profile, case, case_key, note_form=form, status=400)
    actions.add_note(case, case_key, profile, form.cleaned_data["text"])
    return _back_to_section(request, public_id, "notes", _("Note added."))


# --- Referrals and export ----------------------------------------------------------------------


@never_cache
@require_POST
@staff_required
def add_referral(request: HttpRequest, profile: StaffProfile, public_id: str) -> HttpResponse:
    case, case_key = _case_or_404(request, profile, public_id, "case.opened_to_refer")
    form = ReferralForm(request.POST)
    if form.is_valid():
        try:
            actions.record_referral(case, case_key, profile, **form.cleaned_data)
        except actions.ReferralRefused:
            form.add_error(
                None,
                _(
                    "The survivor has not agreed to a referral. They can agree on their own "
                    "page; you may ask them in a message."
                ),
            )
    if not form.is_valid():
        return _render_case(request, profile, case, case_key, referral_form=form, status=400)
    return _back_to_section(request, public_id, "referrals", _("Referral recorded."))


@never_cache
@require_POST
@staff_required
def referral_outcome(
    request: HttpRequest, profile: StaffProfile, public_id: str, referral_id: str
) -> HttpResponse:
    case, case_key = _case_or_404(request, profile, public_id, "case.opened_to_refer")
    form = ReferralOutcomeForm(request.POST)
    if form.is_valid():
        try:
            actions.update_referral_outcome(
                case, case_key, profile, referral_id, form.cleaned_data["outcome"]
            )
        except Referral.DoesNotExist:
            raise Http404 from None
        return _back_to_section(request, public_id, "referrals", _("Outcome saved."))
    return _render_case(request, profile, case, case_key, status=400)


@never_cache
@require_POST
@staff_required
# As for a hand-over: the case is found first, then the password is asked again.
@ask_password_again(after=_the_case("case.opened_to_export"))
def export(
    request: HttpRequest, profile: StaffProfile, case: Case, case_key: bytes
) -> HttpResponse:
    response = HttpResponse(
        actions.export_case(case, case_key, profile), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="case-{case.public_id}.json"'
    return response
