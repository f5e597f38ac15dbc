"""A returning survivor's choices about documentation for justice (issue 17), on a page of her own
(/my-account/justice/): whether her account may go to the ICC Office of the Prosecutor, a UN
investigation or a national war-crimes unit, with or without her name and contact, and whether
they may contact her as a possible witness; and what was sent, prepared or stopped.

Nothing is sent by the portal: a caseworker prepares documentation only for what she chose, and a
person sends it (intake/packages/). Her choices are sealed and changing them stops what is not yet
sent (intake/actions/justice.py). The page works without JavaScript (POST, then redirect).
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from intake import actions
from intake.models import Case
from intake.survivor.common import page_language
from intake.survivor.forms import JusticeConsentForm
from intake.survivor.returning import survivor_session_required
from rights.content import get_library

# The explainer she is pointed to before she chooses (rights/content/*/<slug>.md).
EXPLAINER = "after-you-tell-the-prosecutor"


def _explainer() -> dict[str, str]:
    """Its title in her language, or the English page's (marked as English) until it is
    translated."""
    page = get_library().explainer(page_language(), EXPLAINER)
    if page is None:
        return {"title": _("What may happen to information you give the ICC Prosecutor")}
    fallback = page.language if page.language != page_language() else ""
    return {"title": page.title, "fallback": fallback}


def _render(
    request: HttpRequest,
    case: Case,
    form: JusticeConsentForm,
    chosen: actions.JusticeConsent,
    *,
    status: int = 200,
    notice: str = "",
) -> HttpResponse:
    context: dict[str, Any] = {
        "form": form,
        "chosen": chosen,
        "packages": actions.justice_packages(case),
        # She asked for her name and contact to go with it, but gave no contact details: she
        # is told so, and where to add them (her page's contact form). Her choice stays saved.
        "no_contact": chosen.with_identity and case.contact is None,
        "explainer": _explainer(),
        "notice": notice,
    }
    return render(request, "intake/justice.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@survivor_session_required
def justice(request: HttpRequest, case: Case, case_key: bytes) -> HttpResponse:
    chosen = actions.justice_consent(case, case_key)
    if request.method == "GET":
        form = JusticeConsentForm(initial=JusticeConsentForm.initial_for(chosen))
        notice = _("Your choices were saved.") if request.GET.get("done") == "saved" else ""
        return _render(request, case, form, chosen, notice=notice)
    form = JusticeConsentForm(request.POST)
    if not form.is_valid():
        # What she ticked is kept in the form shown again; nothing was saved.
        return _render(request, case, form, chosen, status=400)
    actions.set_justice_consent(
        case,
        case_key,
        recipients=form.recipients(),
        with_identity=form.cleaned_data["identity"],
        witness_contact=form.cleaned_data["witness_contact"],
        language=page_language(),
    )
    return redirect(reverse("intake:justice") + "?done=saved")
