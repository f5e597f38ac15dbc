"""The caseworkers' and coordinators' forms (the survivor's are in intake/survivor/forms.py)."""

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from intake.models import Referral, StaffProfile
from intake.routing import eligible_caseworkers
from intake.status_reasons import STATUS_OF_REASON, grouped_choices

# A form's fields are the same on every page until it comes back with errors: the queue's
# availability switch and the case page's reply, note, referral and status fields are rendered
# once per language, field and initial value, and kept for the life of the process, rather than
# through the form templates on every view (docs/performance.md, issue 16). A bound form (a POST
# with errors) is rendered as it is.
_BLANK_FIELDS: dict[tuple[type[forms.Form], str, str, str], SafeString] = {}


def blank_field_group(form: forms.Form | type[forms.Form], name: str) -> SafeString:
    """`form[name].as_field_group()`, rendered once for an unbound form. A form class stands for
    its unbound form with no initial values, made only the first time (making the case page's
    five forms, which copies their fields, was a twentieth of it)."""
    if isinstance(form, type):
        key = (form, name, get_language(), str(form.base_fields[name].initial))
        if key not in _BLANK_FIELDS:
            _BLANK_FIELDS[key] = form()[name].as_field_group()
        return _BLANK_FIELDS[key]
    field = form[name]
    if form.is_bound:
        return field.as_field_group()
    key = (type(form), name, get_language(), str(field.value()))
    if key not in _BLANK_FIELDS:
        _BLANK_FIELDS[key] = field.as_field_group()
    return _BLANK_FIELDS[key]


class SetPasswordForm(forms.Form):
    """Choosing a password when accepting an invitation (Django's validators apply)."""

    password1 = forms.CharField(
        label=_("Choose a password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters. Your password also protects your encryption key."),
    )
    password2 = forms.CharField(
        label=_("Type it again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords are not the same."))
        elif first:
            try:
                password_validation.validate_password(first, self.user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class ConductForm(forms.Form):
    accept = forms.BooleanField(
        label=_("I have read the code of conduct and I will follow it."),
        error_messages={"required": _("You need to accept the code of conduct to continue.")},
    )


class VetForm(forms.Form):
    note = forms.CharField(
        label=_("What did you check?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: references called, identity confirmed, training completed."),
    )
    months = forms.IntegerField(
        label=_("Vetted for (months)"), min_value=1, max_value=24, initial=12
    )


class SuspendForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Message to the survivor"),
        max_length=settings.INTAKE_MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "The survivor reads it with their receipt code. Never include names of places or "
            "people they did not give you."
        ),
    )


class StatusForm(forms.Form):
    """One list of the valid (status, reason) pairs, grouped by status: a reason is chosen, and
    its status comes with it (intake/status_reasons.py), so the two cannot disagree."""

    REASON_CHOICES = grouped_choices()
    reason = forms.ChoiceField(
        label=_("New status, and why"),
        choices=[("", _("Choose the new status")), *REASON_CHOICES],
        error_messages={"required": _("Choose the new status and its reason.")},
    )

    @property
    def status(self) -> str:
        """The status the chosen reason belongs to (only once the form is valid)."""
        return STATUS_OF_REASON[self.cleaned_data["reason"]]


class ColleagueForm(forms.Form):
    """Choosing a caseworker to give a case to (hand-over or a coordinator's grant)."""

    colleague: "forms.ModelChoiceField[Any]" = forms.ModelChoiceField(
        label=_("Caseworker"), queryset=None, empty_label=_("Choose a caseworker")
    )

    def __init__(self, *args: Any, exclude_user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = eligible_caseworkers()
        if exclude_user is not None:
            choices = choices.exclude(user=exclude_user)
        colleagues = choices.order_by("user__email")
        field = cast("forms.ModelChoiceField[Any]", self.fields["colleague"])
        # Validation looks the chosen colleague up in this queryset.
        field.queryset = colleagues
        # The select is drawn from one plain query of e-mail addresses and languages, read here:
        # Django's ModelChoiceIterator read them through a server-side cursor while the template
        # rendered, building a profile and a user for each (docs/performance.md, issue 16).
        field.widget.choices = [
            ("", field.empty_label),
            *(
                (pk, f"{email} ({', '.join(languages)})")
                for pk, email, languages in colleagues.values_list("pk", "user__email", "languages")
            ),
        ]


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Private note"),
        max_length=settings.INTAKE_MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Encrypted, and never shown to the survivor."),
    )


class ReferralForm(forms.Form):
    service_type = forms.ChoiceField(label=_("Service"), choices=[])
    organisation = forms.CharField(
        label=_("Organisation"),
        max_length=200,
        help_text=_("Only the organisation's name: the survivor can read this record."),
    )
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service_type"].choices = Referral.SERVICE_TYPES  # type: ignore[attr-defined]
        self.fields["outcome"].choices = Referral.OUTCOMES  # type: ignore[attr-defined]


class ReferralOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = Referral.OUTCOMES  # type: ignore[attr-defined]


def _codes(text: str) -> list[str]:
    """'ar, fa  ps' -> ['ar', 'fa', 'ps']: short codes typed by a coordinator."""
    return [code for code in text.replace(",", " ").replace("،", " ").lower().split() if code]


class StaffProfileForm(forms.Form):
    """What routing matches a staff member on, as a coordinator sets it."""

    languages = forms.CharField(
        label=_("Languages"),
        max_length=200,
        help_text=_("Language codes, separated by spaces, for example: ar fa en."),
    )
    regions = forms.CharField(
        label=_("Regions"),
        max_length=200,
        required=False,
        help_text=_("Countries, separated by commas, for example: Sudan, Afghanistan."),
    )
    specialisms = forms.MultipleChoiceField(
        label=_("Specialisms"), choices=[], required=False, widget=forms.CheckboxSelectMultiple
    )
    gender = forms.ChoiceField(
        label=_("Gender (for survivors who ask)"), choices=[], required=False
    )
    capacity = forms.IntegerField(
        label=_("Open cases at most"), min_value=1, max_value=200, initial=10
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["specialisms"].choices = StaffProfile.SPECIALISMS  # type: ignore[attr-defined]
        self.fields["gender"].choices = [  # type: ignore[attr-defined]
            ("", _("Not given")),
            *StaffProfile.GENDERS,
        ]

    @classmethod
    def for_profile(cls, profile: Any, data: Any = None) -> "StaffProfileForm":
        initial = {
            "languages": " ".join(profile.languages),
            "regions": ", ".join(profile.regions),
            "specialisms": profile.specialisms,
            "gender": profile.gender,
            "capacity": profile.capacity,
        }
        return cls(data, initial=initial)

    def clean_languages(self) -> list[str]:
        codes = _codes(self.cleaned_data["languages"])
        if not codes or any(
            not code.replace("-", "").isalpha() or len(code) > 10 for code in codes
        ):
            raise forms.ValidationError(_("Give at least one language code, such as ar or fa."))
        return codes

    def clean_regions(self) -> list[str]:
        # Routing compares these with the country a survivor typed, ignoring case. Arabic and
        # Persian keyboards type "،" for a comma.
        names = self.cleaned_data["regions"].replace("،", ",").split(",")
        return [name.strip() for name in names if name.strip()]


class InviteForm(StaffProfileForm):
    """A coordinator invites a caseworker or a coordinator (the same facts as
    `manage.py invite_caseworker`)."""

    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=[])
    field_order = ["email", "role"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = StaffProfile.Role.choices  # type: ignore[attr-defined]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("This address already has an account."))
        return email


class AvailabilityForm(forms.Form):
    available = forms.TypedChoiceField(
        label=_("New cases"),
        choices=[
            ("yes", _("I can take new cases")),
            ("no", _("I cannot take new cases now (leave, full, away)")),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
