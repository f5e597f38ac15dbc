"""Staff passwords guard keys: Argon2id for the login hash, and guessable passwords refused,
with a stricter floor for coordinators (intake/passwords.py)."""

import pytest
from django.test import Client

from intake import actions
from intake.models import StaffProfile
from intake.passwords import guesses_log10
from tests.caseworker.conftest import make_persona, sign_in

pytestmark = pytest.mark.django_db

# Rated by zxcvbn 4.5 (the pinned version) at about 10^11.2, 10^12.4 and 10^19.6 guesses.
GUESSABLE = "ilovemycat1234"
FINE_FOR_A_CASEWORKER = "myportalpassword2026"
STRONG = "a long new passphrase 1"


def invitation_link(role: str) -> str:
    _, path = actions.invite_staff(email=f"new-{role}@example.org", role=role, invited_by=None)
    return path


def choose(link: str, password: str) -> str:
    response = Client().post(link, {"password1": password, "password2": password})
    return response.content.decode()


def test_the_ratings_these_tests_rely_on() -> None:
    assert guesses_log10(GUESSABLE) < 12 <= guesses_log10(FINE_FOR_A_CASEWORKER) < 14
    assert guesses_log10(STRONG) >= 14


def test_a_caseworker_cannot_choose_a_guessable_password() -> None:
    link = invitation_link(StaffProfile.Role.CASEWORKER)
    page = choose(link, GUESSABLE)
    assert "too easy to guess" in page
    assert not StaffProfile.objects.get(user__email="new-caseworker@example.org").has_key
    assert "Your password is set" in choose(link, FINE_FOR_A_CASEWORKER)


def test_a_coordinator_needs_a_stronger_password() -> None:
    link = invitation_link(StaffProfile.Role.COORDINATOR)
    assert "too easy to guess" in choose(link, FINE_FOR_A_CASEWORKER)
    assert "Your password is set" in choose(link, STRONG)


def test_the_password_may_not_be_the_persons_own_address() -> None:
    link = invitation_link(StaffProfile.Role.CASEWORKER)
    # Long enough, and strong-looking to a length rule, but built from the e-mail address.
    assert "too easy to guess" in choose(link, "new-caseworker@example.org2026")


def test_a_password_change_is_held_to_the_same_floor(coordinator) -> None:
    client = sign_in(Client(), coordinator)
    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": coordinator.password,
            "password1": FINE_FOR_A_CASEWORKER,
            "password2": FINE_FOR_A_CASEWORKER,
        },
    )
    assert "too easy to guess" in response.content.decode()
    assert coordinator.profile.open_private_key(coordinator.password)  # still sealed as before


def test_login_hashes_are_argon2id(db) -> None:
    persona = make_persona("hashed@example.org")
    assert persona.user.password.startswith("argon2$argon2id$")
