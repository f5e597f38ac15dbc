"""The team, as coordinators manage it: vetting and suspending staff, inviting them, what routing
matches them on, resetting a password and re-granting cases. Everyone else gets a 404."""

from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from intake import actions
from intake.access import CaseNotAvailable, coordinators_private_key
from intake.caseworker.decorators import ask_password_again, coordinator_required
from intake.caseworker.forms import InviteForm, StaffProfileForm, SuspendForm, VetForm
from intake.models import KeyWrap, StaffProfile


@never_cache
@require_GET
@coordinator_required
def team(request: HttpRequest, profile: StaffProfile) -> HttpResponse:
    members = StaffProfile.objects.select_related("user")
    # Open cases per staff member, in one query: the load routing weighs them by.
    loads = KeyWrap.objects.open_loads()
    rows = [(member, loads.get(member.recipient, 0)) for member in members.order_by("user__email")]
    return render(request, "caseworker/team.html", {"rows": rows, "profile": profile})


def _member_or_404(user_id: int) -> StaffProfile:
    return get_object_or_404(StaffProfile.objects.select_related("user"), user_id=user_id)


@never_cache
@require_http_methods(["GET", "POST"])
@coordinator_required
def vet(request: HttpRequest, profile: StaffProfile, user_id: int) -> HttpResponse:
    member = _member_or_404(user_id)
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


def _absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


def _valid_invitation(
    request: HttpRequest, profile: StaffProfile
) -> tuple[InviteForm] | HttpResponseBase:
    """For ask_password_again: the invitation form once it is valid, else its page (empty, or
    with its errors), before any password prompt."""
    form = InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        return (form,)
    return render(request, "caseworker/invite.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
@coordinator_required
@ask_password_again(after=_valid_invitation)
def invite(request: HttpRequest, profile: StaffProfile, form: InviteForm) -> HttpResponse:
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
    return _render_member(request, _member_or_404(user_id))


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
    member = _member_or_404(user_id)
    form = StaffProfileForm.for_profile(member, request.POST)
    if not form.is_valid():
        return _render_member(request, member, profile_form=form, status=400)
    actions.update_staff_profile(member, by=profile.user, changes=form.cleaned_data)
    return redirect("caseworker:member", user_id=member.user_id)


def _the_member(request: HttpRequest, profile: StaffProfile, user_id: int) -> tuple[StaffProfile]:
    """For ask_password_again: the staff member of the URL."""
    return (_member_or_404(user_id),)


def _another_member(
    request: HttpRequest, profile: StaffProfile, user_id: int
) -> tuple[StaffProfile]:
    """For ask_password_again: the staff member of the URL, who is not the coordinator
    themselves (one's own password is changed, not reset, and keeps the key)."""
    member = _member_or_404(user_id)
    if member.user_id == request.user.pk:
        raise Http404
    return (member,)


@never_cache
@require_POST
@coordinator_required
@ask_password_again(after=_another_member)
def reset_password(
    request: HttpRequest, profile: StaffProfile, member: StaffProfile
) -> HttpResponse:
    path = actions.reset_staff_password(member, by=profile.user)
    context = {"member_email": member.user.email, "link": _absolute(request, path), "reset": True}
    return render(request, "caseworker/set_password_link.html", context)


@never_cache
@require_POST
@coordinator_required
@ask_password_again(after=_the_member)
def regrant(request: HttpRequest, profile: StaffProfile, member: StaffProfile) -> HttpResponse:
    try:
        private = coordinators_private_key(request, profile)
    except CaseNotAvailable:
        raise Http404 from None
    actions.regrant_cases(member, private, by=profile.user)
    if member.role == StaffProfile.Role.COORDINATOR and member.has_key:
        actions.share_coordinators_key(member, private, by=profile.user)
    return redirect("caseworker:member", user_id=member.user_id)
