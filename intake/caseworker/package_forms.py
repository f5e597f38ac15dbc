"""The forms of documentation packages (issue 17): registering a recipient."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from intake.models import JusticeRecipient
from intake.packages.encryption import BadRecipient, check_recipient


class RecipientForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of office"), choices=JusticeRecipient.Kind.choices)
    name = forms.CharField(label=_("Name, as the office calls itself"), max_length=200)
    age_recipient = forms.CharField(
        label=_("Its age public key"),
        max_length=100,
        help_text=_(
            'One line starting with "age1", as the office gave it to you. Check it with them by '
            "a second channel (a call): packages are encrypted to it, and only its holder can "
            "read them."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_age_recipient(self) -> Any:
        try:
            return check_recipient(self.cleaned_data["age_recipient"])
        except BadRecipient:
            raise forms.ValidationError(
                _(
                    'This is not an age public key. It is one line starting with "age1" '
                    "(as age-keygen prints it). Ask the office for it again."
                )
            ) from None
