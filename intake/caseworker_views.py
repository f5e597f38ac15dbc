"""Caseworker pages under /caseworker/: accepting an invitation, the code of conduct, the queue.

Every page needs a signed-in staff member; portal.middleware.RequireStaffMfaMiddleware has already
sent anyone without a second factor to set one up.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.core.paginator import Paginator
from django.db.models import Case as SqlCase  # not intake's Case
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import content_disposition_header, urlsafe_base64_decode
from django.utils.translation import get_language_info, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from intake import actions, crypto
from intake.access import (
    CaseNotAvailable,
    StaffKeyLocked,
    cases_for_staff,
    coordinators_private_key,
    decrypt_case_for_coordinator,
    decrypt_case_for_staff,
    staff_private_key,
    staff_profile,
)
from intake.forms import (
    HARMS,
    AvailabilityForm,
    ColleagueForm,
    ConductForm,
    InviteForm,
    NoteForm,
    ReferralForm,
    ReferralOutcomeForm,
    ReplyForm,
    SetPasswordForm,
    StaffProfileForm,
    StatusForm,
    SuspendForm,
    VetForm,
    answer_rows,
)
from intake.models import Attachment, Case, KeyWrap, Message, RoutingJob, StaffProfile

View = Callable[..., HttpResponseBase]


def staff_required(view: View) -> View:
    """Signed in, a staff member (anyone else gets a 404), and the code of conduct accepted."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        profile = staff_profile(request)
        if profile is None:
            raise Http404
        if profile.conduct_accepted_on is None:
            return redirect("caseworker:conduct")
        return view(request, profile, *args, **kwargs)

    return wrapper


@never_cache
@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    try:
        user = get_user_model().objects.get(pk=force_str(urlsafe_base64_decode(uidb64)))
    except (ValueError, TypeError, OverflowError, get_user_model().DoesNotExist):
        user = None
    if (
        user is None
        or not hasattr(user, "staff_profile")
        or not default_token_generator.check_token(user, token)
    ):
        return render(request, "caseworker/invitation_invalid.html", status=404)
    form = SetPasswordForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        actions.accept_invitation(user, form.cleaned_data["password1"])
        return render(request, "caseworker/invitation_done.html")
    return render(request, "caseworker/invitation.html", {"form": form, "email": user.email})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def conduct(request: HttpRequest) -> HttpResponse:
    profile = staff_profile(request)
    if profile is None:
        raise Http404
    form = ConductForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        profile.conduct_accepted_on = timezone.now().date()
        profile.save(update_fields=["conduct_accepted_on"])
        return redirect("caseworker:queue")
    return render(request, "caseworker/conduct.html", {"form": form})


QUEUE_PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueRow:
    """One case in a caseworker's queue: enough to tell it from the others without opening it."""

    case: Case
    acknowledge_by: Any
    # From the queue summary sealed to this caseworker (intake.actions.queue_summary); None when
    # the wrap has none or this login holds no key.
    language: str | None
    harms: str | None  # joined; "" when the survivor named none
    new_message: bool


def language_name(code: str) -> str:
    """A reply language in the reader's own language ("Persian", "الفارسية")."""
    if code == "other":
        return _("Another language")
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def harm_names(codes: list[str]) -> str:
    """The kinds of harm as the survivor's form names them, in the reader's language, joined by
    the reader's own list separator (an Arabic or Persian comma on those pages)."""
    names = dict(HARMS)
    separator = pgettext("separator between items of a list", ", ")
    return separator.join(str(names.get(code, code)) for code in codes)


@never_cache
@require_GET
@staff_required
def queue(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    # Open cases first: urgent, then the nearest deadline (routing time plus the deadline); closed
    # ones after them. A page holds QUEUE_PAGE_SIZE rows, and what they show comes in a fixed
    # number of queries however many cases there are (tests/caseworker/test_query_counts.py),
    # so a caseworker who has held hundreds of cases over the years still gets a quick page.
    finished = list(Case.FINISHED)
    cases = (
        cases_for_staff(profile)
        .select_related("routing_job")
        .annotate(
            finished=SqlCase(
                When(status__in=finished, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .order_by("finished", "-urgent", "routing_job__available_at", "created_hour")
    )
    page = Paginator(cases, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    counts = cases.exclude(status__in=finished).aggregate(
        open=Count("id", distinct=True), urgent=Count("id", distinct=True, filter=Q(urgent=True))
    )
    context = {
        "profile": profile,
        "page": page,
        "rows": queue_rows(request, profile, list(page)),
        "open_count": counts["open"],
        "urgent_count": counts["urgent"],
        "can_receive": profile.vetted_now,
        "availability_form": AvailabilityForm(
            initial={"available": "yes" if profile.available else "no"}
        ),
        "confirmations": [str(message) for message in messages.get_messages(request)],
    }
    return render(request, "caseworker/queue.html", context)


def queue_rows(request: HttpRequest, profile: StaffProfile, cases: list[Case]) -> list[QueueRow]:
    """The rows of one queue page, in two queries whatever its length: this caseworker's sealed
    queue summaries, and the cases where the survivor wrote after the last reply.

    Nothing of the account is opened (no case key is unwrapped, nothing is audited): only the
    summaries sealed to this caseworker, with their private key parsed once for the whole page
    (parsing costs about as much as opening one summary). docs/security.md, section 6.
    """
    ids = [case.pk for case in cases]
    sealed = {
        case_id: (key_id, summary)
        for case_id, key_id, summary in KeyWrap.objects.filter(
            case_id__in=ids, recipient=profile.recipient, queue_summary__isnull=False
        ).values_list("case_id", "key_id", "queue_summary")
    }
    last_reply = (
        Message.objects.filter(case=OuterRef("case"), direction=Message.Direction.TO_SURVIVOR)
        .order_by("-id")
        .values("id")[:1]
    )
    new_messages = set(
        Message.objects.filter(case_id__in=ids, direction=Message.Direction.FROM_SURVIVOR)
        .filter(id__gt=Coalesce(Subquery(last_reply), Value(0)))
        .values_list("case_id", flat=True)
    )
    private_key = None
    if sealed:
        try:
            private_key = crypto.load_private_key(staff_private_key(request))
        except (StaffKeyLocked, crypto.DecryptionError):
            private_key = None  # a login without the key cookie: rows without their summary
    rows = []
    for case in cases:
        summary = None
        if private_key is not None and case.pk in sealed:
            key_id, sealed_summary = sealed[case.pk]
            summary = actions.open_queue_summary(
                sealed_summary, private_key, case=case, recipient=profile.recipient, key_id=key_id
            )
        summary = summary or {}
        language, harms = summary.get("language"), summary.get("harms")
        rows.append(
            QueueRow(
                case=case,
                acknowledge_by=acknowledge_by(case),
                language=language_name(language) if language else None,
                harms=harm_names(harms) if isinstance(harms, list) else None,
                new_message=case.pk in new_messages,
            )
        )
    return rows


def acknowledge_by(case: Case) -> Any:
    """When an unacknowledged case must be acknowledged before routing gives it to someone else
    (None once acknowledged)."""
    job = getattr(case, "routing_job", None)
    if case.status != Case.Status.RECEIVED or job is None:
        return None
    return job.acknowledge_by


@never_cache
@require_POST
@staff_required
def availability(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    form = AvailabilityForm(request.POST)
    if form.is_valid():
        actions.set_availability(profile, form.cleaned_data["available"])
    return redirect("caseworker:queue")


def coordinator_required(view: View) -> View:
    """A vetted coordinator; everyone else gets a 404, as if the page did not exist."""

    @staff_required
    @wraps(view)
    def wrapper(
        request: HttpRequest, profile: StaffProfile, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        if not profile.is_vetted_coordinator:
            raise Http404
        return view(request, profile, *args, **kwargs)

    return wrapper


@never_cache
@require_GET
@coordinator_required
def team(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    members = StaffProfile.objects.select_related("user")
    # Open cases per staff member, in one query: the load routing weighs them by.
    loads = KeyWrap.objects.open_loads()
    rows = [(member, loads.get(member.recipient, 0)) for member in members.order_by("user__email")]
    return render(request, "caseworker/team.html", {"rows": rows, "profile": profile})


@never_cache
@require_http_methods(["GET", "POST"])
@coordinator_required
def vet(request: HttpRequest, profile: StaffProfile, user_id: int) -> HttpResponse:
    member = get_object_or_404(StaffProfile.objects.select_related("user"), user_id=user_id)
    form = VetForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.vet_staff(
                member,
                by=profile.user,
                note=form.cleaned_data["note"],
                months=form.cleaned_data["months"],
            )
        except actions.VettingRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            if member.role == StaffProfile.Role.COORDINATOR:
                # Pass on the coordinators' key, which this coordinator holds unlocked.
                try:
                    private = coordinators_private_key(request, profile)
                except CaseNotAvailable:
                    pass
                else:
                    actions.share_coordinators_key(member, private, by=profile.user)
            return redirect("caseworker:team")
    return render(request, "caseworker/vet.html", {"form": form, "member": member})


@never_cache
@require_POST
@coordinator_required
def suspend(request: HttpRequest, profile: StaffProfile, user_id: int) -> HttpResponse:
    member = get_object_or_404(StaffProfile, user_id=user_id)
    form = SuspendForm(request.POST)
    if form.is_valid() and member.user_id != request.user.pk:
        actions.suspend_staff(member, by=profile.user, reason=form.cleaned_data["reason"])
    return redirect("caseworker:team")


def _case_or_404(
    request: HttpRequest, profile: StaffProfile, public_id: str, action: str
) -> tuple[Case, bytes]:
    try:
        return decrypt_case_for_staff(request, profile, public_id, action=action)
    except CaseNotAvailable:
        raise Http404 from None


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
    view = actions.read_case(case, case_key)
    harms = view.answers.get("harms")
    context = {
        "case": case,
        "view": view,
        "rows": answer_rows(view.answers),
        # The kinds of harm, said before the account is unfolded (a content note).
        "content_note": harm_names(harms) if isinstance(harms, list) else "",
        "language": language_name(view.answers.get("preferred_language") or ""),
        "acknowledge_by": acknowledge_by(case),
        "confirmations": {
            message.extra_tags or "page": str(message) for message in messages.get_messages(request)
        },
        "reply_form": reply_form or ReplyForm(),
        "status_form": status_form or StatusForm(),
        "colleague_form": ColleagueForm(exclude_user=request.user),
        "notes": actions.read_notes(case, case_key),
        "note_form": note_form or NoteForm(),
        "referral_form": referral_form or ReferralForm(),
        "outcome_form": ReferralOutcomeForm(),
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


# --- Hand-over and escalation (caseworkers) -----------------------------------------------------


@never_cache
@require_POST
@staff_required
def hand_over(request: HttpRequest, profile: StaffProfile, public_id: str) -> HttpResponse:
    # The case is checked first (anyone else gets the same 404 as everywhere), then the
    # password is asked again: giving a case to someone is a grant of access.
    case, case_key = _case_or_404(request, profile, public_id, "case.opened_to_hand_over")
    return _hand_over(request, profile, case, case_key)


@reauthentication_required
def _hand_over(
    request: HttpRequest, profile: StaffProfile, case: Case, case_key: bytes
) -> HttpResponse:
    form = ColleagueForm(request.POST, exclude_user=request.user)
    if not form.is_valid():
        return _render_case(request, profile, case, case_key, status=400)
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


# --- The coordinators' queue -------------------------------------------------------------------


@never_cache
@require_GET
@coordinator_required
def unassigned(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    jobs = (
        RoutingJob.objects.filter(state=RoutingJob.State.WAITING)
        .select_related("case")
        .order_by("-urgent", "case__created_hour")
    )
    return render(
        request,
        "caseworker/unassigned.html",
        {"jobs": jobs, "holds_key": profile.coordinators_key_share is not None},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@coordinator_required
@reauthentication_required(allow_get=True)
def unassigned_case(request: HttpRequest, profile: StaffProfile, public_id: str) -> HttpResponse:
    try:
        case, case_key = decrypt_case_for_coordinator(
            request, profile, public_id, action="case.viewed_by_coordinator"
        )
    except CaseNotAvailable:
        raise Http404 from None
    form = ColleagueForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.grant_from_coordinators(
                case, case_key, form.cleaned_data["colleague"], by=profile.user
            )
        except actions.GrantRefused:
            form.add_error(
                None,
                _(
                    "A caseworker holds this case, so it cannot be given to someone else here. "
                    "They can hand it over from their case page."
                ),
            )
        else:
            return redirect("caseworker:unassigned")
    view = actions.read_case(case, case_key)
    context = {"case": case, "view": view, "rows": answer_rows(view.answers), "form": form}
    return render(request, "caseworker/unassigned_case.html", context)


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


AUDIT_PAGE_SIZE = 100


@never_cache
@require_GET
@coordinator_required
def audit_log(request: HttpRequest, profile: StaffProfile) -> HttpResponse:

    from intake.models import AuditEntry

    # Recorded first, so the page counts and shows its own entry. The chain is checked by
    # `manage.py verify_audit` (it reads every entry: too slow for each view).
    actions.record_audit_viewed(profile)
    entries = AuditEntry.objects.select_related("actor", "subject").order_by("-id")
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "caseworker/audit.html", {"page": page})


# --- Referrals and export ------------------------------------------------------------------------


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
    from intake.models import Referral

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
def export(request: HttpRequest, profile: StaffProfile, public_id: str) -> HttpResponse:
    # As for a hand-over: the case is checked first, then the password is asked again.
    case, case_key = _case_or_404(request, profile, public_id, "case.opened_to_export")
    return _export(request, profile, case, case_key)


@reauthentication_required
def _export(
    request: HttpRequest, profile: StaffProfile, case: Case, case_key: bytes
) -> HttpResponse:
    response = HttpResponse(
        actions.export_case(case, case_key, profile), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="case-{case.public_id}.json"'
    return response


# --- Coordinators: inviting, resetting passwords, deadlines ------------------------------------


def _absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


@never_cache
@require_http_methods(["GET", "POST"])
@coordinator_required
def invite(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    form = InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        return _invite(request, profile, form)
    return render(request, "caseworker/invite.html", {"form": form})


@reauthentication_required
def _invite(request: HttpRequest, profile: StaffProfile, form: InviteForm) -> HttpResponse:
    data = form.cleaned_data
    user, path = actions.invite_staff(
        email=data["email"],
        role=data["role"],
        invited_by=profile.user,
        languages=data["languages"],
        regions=data["regions"],
        specialisms=data["specialisms"],
        gender=data["gender"],
        capacity=data["capacity"],
    )
    # Shown once, for the coordinator to pass on by a channel they trust; not e-mailed from here
    # so that a mistyped address never receives a working link.
    context = {"member_email": user.email, "link": _absolute(request, path), "reset": False}
    return render(request, "caseworker/set_password_link.html", context)


@never_cache
@require_GET
@coordinator_required
def member(request: HttpRequest, profile: StaffProfile, user_id: int) -> HttpResponse:
    member = get_object_or_404(StaffProfile.objects.select_related("user"), user_id=user_id)
    return _render_member(request, member)


def _render_member(
    request: HttpRequest,
    member: StaffProfile,
    profile_form: StaffProfileForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "member": member,
        "load": KeyWrap.objects.open_load(member.recipient),
        "to_regrant": len(actions.cases_to_regrant(member)),
        "is_self": member.user_id == request.user.pk,
        "profile_form": profile_form or StaffProfileForm.for_profile(member),
    }
    return render(request, "caseworker/member.html", context, status=status)


@never_cache
@require_POST
@coordinator_required
def edit_member(request: HttpRequest, profile: StaffProfile, user_id: int) -> HttpResponse:
    member = get_object_or_404(StaffProfile.objects.select_related("user"), user_id=user_id)
    form = StaffProfileForm.for_profile(member, request.POST)
    if not form.is_valid():
        return _render_member(request, member, profile_form=form, status=400)
    actions.update_staff_profile(member, by=profile.user, changes=form.cleaned_data)
    return redirect("caseworker:member", user_id=member.user_id)


@never_cache
@require_POST
@coordinator_required
def reset_password(request: HttpRequest, profile: StaffProfile, user_id: int) -> HttpResponse:
    member = get_object_or_404(StaffProfile.objects.select_related("user"), user_id=user_id)
    if member.user_id == request.user.pk:
        raise Http404  # one's own password is changed, not reset, and keeps the key
    return _reset_password(request, profile, member)


@reauthentication_required
def _reset_password(
    request: HttpRequest, profile: StaffProfile, member: StaffProfile
) -> HttpResponse:
    path = actions.reset_staff_password(member, by=profile.user)
    context = {"member_email": member.user.email, "link": _absolute(request, path), "reset": True}
    return render(request, "caseworker/set_password_link.html", context)


@never_cache
@require_POST
@coordinator_required
def regrant(request: HttpRequest, profile: StaffProfile, user_id: int) -> HttpResponse:
    member = get_object_or_404(StaffProfile.objects.select_related("user"), user_id=user_id)
    return _regrant(request, profile, member)


@reauthentication_required
def _regrant(request: HttpRequest, profile: StaffProfile, member: StaffProfile) -> HttpResponse:
    try:
        private = coordinators_private_key(request, profile)
    except CaseNotAvailable:
        raise Http404 from None
    actions.regrant_cases(member, private, by=profile.user)
    if member.role == StaffProfile.Role.COORDINATOR and member.has_key:
        actions.share_coordinators_key(member, private, by=profile.user)
    return redirect("caseworker:member", user_id=member.user_id)


DEADLINE_HISTORY_DAYS = 30


@never_cache
@require_GET
@coordinator_required
def deadlines(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    """Cases past their deadline now, and the deadlines missed in the last 30 days."""
    from datetime import timedelta

    from intake.models import AuditEntry
    from intake.routing import overdue_jobs

    since = timezone.now() - timedelta(days=DEADLINE_HISTORY_DAYS)
    missed = (
        AuditEntry.objects.filter(action="case.deadline_missed", hour__gte=since)
        .select_related("subject")
        .order_by("-id")
    )
    by_person = (
        missed.values("subject__email")
        .annotate(total=Count("id"))
        .order_by("-total", "subject__email")
    )
    context = {
        "overdue": overdue_jobs(),
        "missed": missed[:200],
        "by_person": by_person,
        "days": DEADLINE_HISTORY_DAYS,
    }
    return render(request, "caseworker/deadlines.html", context)
