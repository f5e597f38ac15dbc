"""Joining the team: accepting an invitation (choosing a password) and the code of conduct, which
every staff member accepts before any other staff page opens (decorators.staff_required)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from intake import actions
from intake.access import staff_profile
from intake.caseworker.forms import ConductForm, SetPasswordForm


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
