"""The survivor's forms. Every field is optional except consent (issue 4, "The account").

Nothing a survivor types is kept on the server between steps: each page carries the earlier
answers as hidden fields, and the account is encrypted only when it is sent. The account's own
questions (AccountForm) are in intake/answers.py, where the caseworker's pages read them too.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from intake.actions import JusticeConsent
from intake.answers import AGE_GROUPS, AccountForm, checkbox
from intake.crypto import normalise_receipt
from intake.models import JusticeRecipient

# Bumped whenever the consent wording changes; stored (sealed) with each account.
CONSENT_VERSION = "2026-11-28"


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
    # Optional, off unless she ticks it: read at routing (intake/routing/) to add her account to
    # the pattern counts (PatternCount), and taken away again if she withdraws.
    consent_statistics = checkbox(
        _(
            "My account may be counted, with nothing that identifies me, in statistics that "
            "show what is happening."
        ),
        help_text=_(
            "Only the month, the country, the region, your age group and the kinds of harm are "
            "counted. Never your words, your contact details or your files. Small numbers are "
            "never shown. If you withdraw your account, your counts are removed."
        ),
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


def account_answers(consent: ConsentForm, account: AccountForm, language: str) -> dict[str, Any]:
    """The answers as they are sealed: consent (with its version and language) and the account."""
    data = account.cleaned_data
    return {
        "consent": {
            "version": CONSENT_VERSION,
            "language": language,
            "store": consent.cleaned_data["consent_store"],
            "caseworker_may_read": consent.cleaned_data["consent_caseworker"],
            # Counted in the pattern statistics (read at routing under exactly this key).
            "statistics": bool(consent.cleaned_data.get("consent_statistics")),
            # Referral and anything for a court or the ICC need separate, later consent (the
            # justice choices are sealed apart: intake/actions/justice.py).
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


# Her three separate choices of where documentation may go, one checkbox each, by the recipient
# kind each stands for.
RECIPIENT_FIELDS = {
    "share_icc_otp": JusticeRecipient.Kind.ICC_OTP,
    "share_un": JusticeRecipient.Kind.UN,
    "share_national": JusticeRecipient.Kind.NATIONAL,
}


class JusticeConsentForm(forms.Form):
    """Her choices about documentation for justice (intake/survivor/justice.py). Every choice is
    off until she makes it, and "without my name" is chosen until she changes it."""

    share_icc_otp = checkbox(JusticeRecipient.Kind.ICC_OTP.label)
    share_un = checkbox(
        JusticeRecipient.Kind.UN.label,
        help_text=_("Investigators the United Nations sets up to look into what happened."),
    )
    share_national = checkbox(
        JusticeRecipient.Kind.NATIONAL.label,
        help_text=_(
            "Police or prosecutors in a country that investigates war crimes, even crimes "
            "committed in another country."
        ),
    )
    identity = forms.TypedChoiceField(
        label=_("Should your name and contact details go with it?"),
        choices=[
            ("without", _("No: without my name and contact details")),
            ("with", _("Yes: with my name and contact details")),
        ],
        coerce=lambda value: value == "with",
        initial="without",
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose with or without your name and contact details."),
            "invalid_choice": _("Please choose with or without your name and contact details."),
        },
    )
    witness_contact = checkbox(
        _("They may contact me about being a possible witness."),
        help_text=_("This does not make you a witness. They may ask you, and you can say no."),
    )

    @classmethod
    def initial_for(cls, consent: JusticeConsent) -> dict[str, Any]:
        """The form as her sealed choices left it (all off, "without", if she never chose)."""
        initial: dict[str, Any] = {
            name: consent.allows(kind) for name, kind in RECIPIENT_FIELDS.items()
        }
        initial["identity"] = "with" if consent.with_identity else "without"
        initial["witness_contact"] = consent.witness_contact
        return initial

    def recipients(self) -> list[str]:
        return [kind for name, kind in RECIPIENT_FIELDS.items() if self.cleaned_data[name]]
