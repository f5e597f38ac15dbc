"""The questions of a survivor's account, and how a caseworker reads the answers.

The survivor's pages ask them (intake/survivor/) and the caseworker's pages read them back
(intake/caseworker/): both use this module, so that a caseworker reads each answer under the very
label and choice the survivor saw. Every field is optional (issue 4, "The account").
"""

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:  # django-stubs is a development dependency
    from django_stubs_ext import StrOrPromise

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
        either, there is nothing to send (intake.survivor.sharing.submit
        refuses it)."""
        return all(self._is_default(name, value) for name, value in self.cleaned_data.items())


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
