"""Staff passwords guard keys, so a guessable one is refused (docs/security.md, section 6).

A staff member's password seals their private key (intake/crypto/staff_keys.py, seal_private_key),
and any one coordinator's password opens the coordinators' key, which opens every case while it
waits. Whoever takes the database can try guesses against both offline. Length rules alone let
"Coordinator2026!" through; zxcvbn (a maintained strength estimator) counts how many guesses a
cracker that knows common passwords, words, names, dates, keyboard patterns and the person's own
e-mail address needs, and this validator asks for at least 10^12 of them, 10^14 for coordinators.
Each guess also costs one Argon2id derivation (64 MiB), which is what makes those counts enough.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from zxcvbn import zxcvbn

from intake.models import StaffProfile

# zxcvbn's time grows with the length it analyses: only this many first characters are rated
# (a strong start is enough; a weak start is refused, however long the rest).
_ANALYSED_CHARACTERS = 64


def _is_coordinator(user: Any) -> bool:
    profile = getattr(user, "staff_profile", None) if user is not None else None
    return profile is not None and profile.role == StaffProfile.Role.COORDINATOR


def _personal_words(user: Any) -> list[str]:
    if user is None:
        return []
    email = getattr(user, "email", "") or ""
    return [email, *email.replace("@", ".").split("."), getattr(user, "username", "") or ""]


def guesses_log10(password: str, user: Any = None) -> float:
    """zxcvbn's estimate of the guesses needed, as a power of ten."""
    analysed = password[:_ANALYSED_CHARACTERS]
    result = zxcvbn(analysed, user_inputs=[w for w in _personal_words(user) if w])
    return float(result["guesses_log10"])


class StrengthValidator:
    """Refuses a password that zxcvbn estimates takes fewer than 10^`min_guesses_log10` guesses
    (10^`coordinator_min_guesses_log10` for a coordinator)."""

    def __init__(self, min_guesses_log10: int = 12, coordinator_min_guesses_log10: int = 14):
        self.caseworker_floor = min_guesses_log10
        self.coordinator_floor = coordinator_min_guesses_log10

    def floor(self, user: Any = None) -> int:
        return self.coordinator_floor if _is_coordinator(user) else self.caseworker_floor

    def validate(self, password: str, user: Any = None) -> None:
        if guesses_log10(password, user) < self.floor(user):
            raise ValidationError(
                _(
                    "This password would be too easy to guess for someone who has taken the "
                    "server. Use a longer phrase of four or more words that are not about you "
                    "or this work."
                ),
                code="password_too_guessable",
            )

    def get_help_text(self) -> str:
        return _(
            "Hard to guess: a phrase of four or more unrelated words works well. Coordinators "
            "need a stronger one."
        )
