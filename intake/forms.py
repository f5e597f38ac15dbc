"""The survivor's forms. Every field is optional except consent (issue 4, "The account").

Nothing a survivor types is kept on the server between steps: each page carries the earlier
answers as hidden fields, and the account is encrypted only when it is sent.
"""

from typing import TYPE_CHECKING, Any

from allauth.account.forms import LoginForm
from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake.crypto import normalise_receipt
from intake.status_reasons import STATUS_OF_REASON, grouped_choices

if TYPE_CHECKING:  # django-stubs is a development dependency
    from django_stubs_ext import StrOrPromise

# Bumped whenever the consent wording changes; stored (sealed) with each account.
CONSENT_VERSION = "2026-11-28"

AGE_GROUPS = [
    ("adult", _("18 or older")),
    ("under_18", _("Under 18")),
    ("unsaid", _("I prefer not to say")),
]
HARMS = [
    ("sexual_violence", _("Sexual violence")),
    ("sterilisation_or_pregnancy", _("Forced sterilisation or forced pregnancy")),
    ("forced_marriage", _("Forced marriage")),
    ("detention", _("Detention")),
    ("education", _("Being denied education")),
    ("work", _("Being denied work")),
    ("movement", _("Being stopped from moving or travelling freely")),
    ("threats", _("Threats")),
    ("online_abuse", _("Online abuse")),
    ("other", _("Something else")),
]
WANTS = [
    ("information", _("Information about my rights")),
    ("legal", _("Legal help")),
    ("medical", _("Medical care")),
    ("psychosocial", _("Someone to talk to (psychosocial support)")),
    ("safety", _("Help to be safe")),
    ("asylum", _("Help with asylum")),
    ("documentation", _("Recording what happened, for justice later")),
]
CASEWORKER_GENDERS = [
    ("any", _("No preference")),
    ("woman", _("A woman")),
    ("man", _("A man")),
]
OTHERS_TARGETED = [
    ("", _("Choose if you want")),
    ("yes", _("Yes")),
    ("no", _("No")),
    ("unsure", _("I am not sure")),
]
CONTACT_CHANNELS = [
    ("", _("Choose if you want")),
    ("phone", _("Phone call")),
    ("sms", _("Text message (SMS)")),
    ("signal", _("Signal")),
    ("whatsapp", _("WhatsApp")),
    ("email", _("E-mail")),
    ("other", _("Another way")),
]
MONTHS = [("", _("Month"))] + [(str(m), str(m)) for m in range(1, 13)]


def language_choices() -> list[tuple[str, "StrOrPromise"]]:
    return [(code, name) for code, name in settings.LANGUAGES] + [("other", _("Another language"))]


def year_choices() -> list[tuple[str, "StrOrPromise"]]:
    this_year = timezone.now().year
    return [("", _("Year"))] + [(str(y), str(y)) for y in range(this_year, 1949, -1)]


def text_field(
    label: "StrOrPromise", *, max_length: int = 500, rows: int = 0, help_text: "StrOrPromise" = ""
) -> Any:
    # dir="auto": a line typed in another script than the page's runs its own way (an English
    # address on an Arabic page keeps its punctuation where it belongs).
    attrs = {"dir": "auto"}
    widget = forms.Textarea(attrs={"rows": rows, **attrs}) if rows else forms.TextInput(attrs)
    return forms.CharField(
        label=label, required=False, max_length=max_length, widget=widget, help_text=help_text
    )


# One checkbox to a row, the box before its sentence, the whole row a 44 px target
# (intake/templates/intake/checkbox_field.html, .check in static/css/portal.css).
CHECKBOX_TEMPLATE = "intake/checkbox_field.html"


def checkbox(label: "StrOrPromise", **kwargs: Any) -> Any:
    kwargs.setdefault("required", False)
    return forms.BooleanField(label=label, template_name=CHECKBOX_TEMPLATE, **kwargs)


class ConsentForm(forms.Form):
    """Step 2: what the survivor agrees to, and their age group (minors take another path)."""

    consent_store = checkbox(
        _("Store my account safely, encrypted, so that I can come back to it."),
        required=True,
        error_messages={"required": _("We can only keep your account if you agree to this.")},
    )
    consent_caseworker = checkbox(
        _("A vetted caseworker may read my account, to help me."),
        required=True,
        error_messages={"required": _("A caseworker needs to read your account to help you.")},
    )
    age_group = forms.ChoiceField(
        label=_("How old are you?"),
        choices=AGE_GROUPS,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose one. You can choose “I prefer not to say”.")},
    )

    @property
    def is_minor(self) -> bool:
        return self.is_valid() and self.cleaned_data["age_group"] == "under_18"


NOTHING_FILLED_IN = _(
    "You have not filled in anything yet, so there is nothing to send. Every question is "
    "optional, but please answer at least one, write a few words, or choose a file."
)


class AccountForm(forms.Form):
    """Step 3: the account. Every field is optional; minors are not asked for the narrative."""

    in_danger = checkbox(_("I am in danger now"))
    narrative = text_field(
        _("What happened?"),
        max_length=settings.INTAKE_MAX_TEXT_CHARS,
        rows=10,
        help_text=_("Write as much or as little as you want. You can add more later."),
    )
    when_month = forms.ChoiceField(label=_("Month"), choices=MONTHS, required=False)
    when_year = forms.ChoiceField(label=_("Year"), choices=year_choices, required=False)
    when_ongoing = checkbox(_("It is still happening"))
    country = text_field(_("Country"), max_length=100)
    region = text_field(_("Region or province (optional, keep it general)"), max_length=100)
    harms = forms.MultipleChoiceField(
        label=_("What kinds of harm?"),
        choices=HARMS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    others_targeted = forms.ChoiceField(
        label=_("Were other people targeted too?"), choices=OTHERS_TARGETED, required=False
    )
    wants = forms.MultipleChoiceField(
        label=_("What would you like?"),
        choices=WANTS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    preferred_language = forms.ChoiceField(
        label=_("In which language should we reply?"), choices=language_choices, required=False
    )
    caseworker_gender = forms.ChoiceField(
        label=_("Would you prefer a caseworker who is"),
        choices=CASEWORKER_GENDERS,
        required=False,
        widget=forms.RadioSelect,
    )
    lgbtqi_support = checkbox(
        _("I would like a caseworker experienced in supporting LGBTQI+ people")
    )
    contact_channel = forms.ChoiceField(
        label=_("How can we reach you safely? (optional)"),
        choices=CONTACT_CHANNELS,
        required=False,
    )
    contact_address = text_field(_("Number, address or user name"), max_length=200)
    contact_times = text_field(_("When is it safe to contact you?"), max_length=200)
    contact_code_word = text_field(
        _("A code word we will use, so you know it is us"), max_length=100
    )

    def __init__(self, *args: Any, minor: bool = False, language: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.minor = minor
        # The reply language starts at the page's language: routing follows it, so a survivor
        # who never touches it gets a caseworker who reads the language she wrote in.
        self.language = language
        if language:
            self.fields["preferred_language"].initial = language
        if minor:
            # Children are not asked to describe what happened (child-protection practice): a
            # trained caseworker will talk with them, if and how they choose.
            del self.fields["narrative"]

    # Answers that are there without the survivor choosing anything: the reply language starts
    # at the page's language, and "no preference" is what an untouched choice means.
    def _is_default(self, name: str, value: Any) -> bool:
        if value in (None, "", [], False):
            return True
        if name == "preferred_language":
            return value == (self.language or settings.LANGUAGE_CODE)
        return name == "caseworker_gender" and value == "any"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("contact_address") and not data.get("contact_channel"):
            self.add_error("contact_channel", _("Please say which way this address is for."))
        return data

    def is_empty(self) -> bool:
        """Nothing answered but what is there by default (a valid form only): with no file
        either, there is nothing to send (intake.views.submit refuses it)."""
        return all(self._is_default(name, value) for name, value in self.cleaned_data.items())


def account_answers(consent: ConsentForm, account: AccountForm, language: str) -> dict[str, Any]:
    """The answers as they are sealed: consent (with its version and language) and the account."""
    data = account.cleaned_data
    return {
        "consent": {
            "version": CONSENT_VERSION,
            "language": language,
            "store": consent.cleaned_data["consent_store"],
            "caseworker_may_read": consent.cleaned_data["consent_caseworker"],
            # Referral and anything for a court or the ICC need separate, later consent.
            "referral": False,
            "justice": False,
        },
        "age_group": consent.cleaned_data["age_group"],
        "narrative": data.get("narrative", ""),
        "when": {
            "month": data["when_month"],
            "year": data["when_year"],
            "ongoing": data["when_ongoing"],
        },
        "country": data["country"],
        "region": data["region"],
        "harms": data["harms"],
        "others_targeted": data["others_targeted"],
        "wants": data["wants"],
        "preferred_language": data["preferred_language"] or language,
        "caseworker_gender": data["caseworker_gender"] or "any",
        "lgbtqi_support": data["lgbtqi_support"],
        "in_danger": data["in_danger"],
    }


def account_contact(account: AccountForm) -> dict[str, str] | None:
    data = account.cleaned_data
    if not data["contact_channel"]:
        return None
    return {
        "channel": data["contact_channel"],
        "address": data["contact_address"],
        "times": data["contact_times"],
        "code_word": data["contact_code_word"],
    }


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=_("Your receipt code"),
        max_length=80,
        help_text=_("20 digits. Spaces and dashes do not matter."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )

    def clean_receipt(self) -> str:
        receipt = normalise_receipt(self.cleaned_data["receipt"])
        if receipt is None:
            raise forms.ValidationError(
                _("A receipt code has 20 digits. Please check it and try again.")
            )
        return receipt


class MessageForm(forms.Form):
    text = forms.CharField(
        label=_("Your message"),
        max_length=settings.INTAKE_MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}),
        error_messages={"required": _("Please write something before sending.")},
    )


class AdditionForm(forms.Form):
    text = forms.CharField(
        label=_("What would you like to add?"),
        max_length=settings.INTAKE_MAX_TEXT_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}),
    )


class KeptWritingForm(forms.Form):
    """A message or an addition typed after the survivor's session ended, carried back in the
    receipt form (intake/templates/intake/return.html) and sent once the code opens the account:
    it is never stored on the server before then."""

    kind = forms.ChoiceField(
        choices=[("message", "message"), ("addition", "addition")], widget=forms.HiddenInput
    )
    text = forms.CharField(
        label=_("What you wrote (not sent yet)"),
        max_length=settings.INTAKE_MAX_TEXT_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "dir": "auto"}),
    )
    form_token = forms.CharField(max_length=100, required=False, widget=forms.HiddenInput)


class ContactForm(forms.Form):
    contact_channel = AccountForm.base_fields["contact_channel"]
    contact_address = AccountForm.base_fields["contact_address"]
    contact_times = AccountForm.base_fields["contact_times"]
    contact_code_word = AccountForm.base_fields["contact_code_word"]


class ReferralConsentForm(forms.Form):
    """The survivor's later choice about being referred to another service."""

    referral = forms.TypedChoiceField(
        label=_("May your caseworker refer you to another service?"),
        choices=[
            ("yes", _("Yes, my caseworker may refer me")),
            ("no", _("No, not now")),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose yes or no.")},
    )


class WithdrawForm(forms.Form):
    confirm = checkbox(
        _("I understand that everything will be deleted and cannot be brought back."),
        required=True,
        error_messages={"required": _("Please tick the box to confirm.")},
    )


class StaffLoginForm(LoginForm):
    """allauth's login form, which also unlocks the staff private key with the password.

    The key is opened here because this is the only moment the password is known; it is kept
    split between the session and a cookie (intake/access.py), and is usable only once the second
    factor has been given too.
    """

    def login(self, request: Any, redirect_url: Any = None) -> Any:
        from intake.access import unlock_staff_key

        profile = getattr(self.user, "staff_profile", None)
        if profile is not None:
            unlock_staff_key(request, profile, self.cleaned_data["password"])
        return super().login(request, redirect_url)


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
        from django.contrib.auth import password_validation

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


def answer_rows(answers: dict[str, Any]) -> list[tuple[str, str]]:
    """Sealed answers as (label, readable value) rows for a caseworker, choices by their label."""
    fields = AccountForm.base_fields
    ages = dict(AGE_GROUPS)

    def label_of(name: str, value: Any) -> str:
        choices = dict(getattr(fields[name], "choices", []))
        if isinstance(value, list):
            return ", ".join(str(choices.get(v, v)) for v in value)
        if isinstance(value, bool):
            return str(_("Yes") if value else _("No"))
        return str(choices.get(value, value))

    rows = [(str(_("Age group")), str(ages.get(answers.get("age_group", ""), "")))]
    when = answers.get("when") or {}
    moment = "/".join(str(when[k]) for k in ("month", "year") if when.get(k))
    if when.get("ongoing"):
        moment = f"{moment} ({_('It is still happening')})".strip()
    if moment:
        rows.append((str(_("When did it happen?")), moment))
    for name in (
        "in_danger", "country", "region", "harms", "others_targeted", "wants",
        "preferred_language", "caseworker_gender", "lgbtqi_support",
    ):  # fmt: skip
        value = answers.get(name)
        if value in (None, "", [], False):
            continue
        rows.append((str(fields[name].label), label_of(name, value)))
    return rows


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
        from intake.routing import eligible_caseworkers

        super().__init__(*args, **kwargs)
        choices = eligible_caseworkers()
        if exclude_user is not None:
            choices = choices.exclude(user=exclude_user)
        field = self.fields["colleague"]
        field.queryset = choices.order_by("user__email")  # type: ignore[attr-defined]
        field.label_from_instance = lambda profile: (  # type: ignore[attr-defined]
            f"{profile.user.email} ({', '.join(profile.languages)})"
        )


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
        from intake.models import Referral

        super().__init__(*args, **kwargs)
        self.fields["service_type"].choices = Referral.SERVICE_TYPES  # type: ignore[attr-defined]
        self.fields["outcome"].choices = Referral.OUTCOMES  # type: ignore[attr-defined]


class ReferralOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from intake.models import Referral

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
        from intake.models import StaffProfile

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
        from intake.models import StaffProfile

        super().__init__(*args, **kwargs)
        self.fields["role"].choices = StaffProfile.Role.choices  # type: ignore[attr-defined]

    def clean_email(self) -> str:
        from django.contrib.auth import get_user_model

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
