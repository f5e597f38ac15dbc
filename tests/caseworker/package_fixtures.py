"""Fixtures for documentation packages (issue 17): the signing key, a recipient with its age
identity, and an account routed to `caseworker` whose survivor made her choices."""

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage  # type: ignore[import-untyped]  # no type information shipped
import pytest
from django.core.management import call_command
from django.test import Client

from intake import actions
from intake.models import Case, JusticeRecipient
from tests.caseworker.conftest import Persona, reauthenticate
from tests.caseworker.test_cases import route_to
from tests.intake.conftest import PDF, account_data, send, upload

NARRATIVE_CANARY = "NARRATIVE-CANARY-7f3a They took us from the market."
ADDED_CANARY = "ADDED-CANARY-51c2 More happened in the spring."
ADDRESS_CANARY = "ADDRESS-CANARY-+93700111222"
TIMES_CANARY = "TIMES-CANARY-evenings"
CODE_WORD_CANARY = "CODEWORD-CANARY-pomegranate"
MESSAGE_CANARY = "MESSAGE-CANARY-a91"
NOTE_CANARY = "NOTE-CANARY-b27"
NEVER_IN_A_PACKAGE = (CODE_WORD_CANARY, MESSAGE_CANARY, NOTE_CANARY)
CONTACT_CANARIES = (ADDRESS_CANARY, TIMES_CANARY)


@dataclass
class SigningKey:
    private: Path
    public: Path


@pytest.fixture
def package_key(tmp_path: Path, settings: Any) -> SigningKey:
    key = SigningKey(tmp_path / "keys" / "package.key", tmp_path / "keys" / "org-public.pem")
    call_command(
        "init_package_key",
        private_key_file=str(key.private),
        public_key_file=str(key.public),
        stdout=io.StringIO(),
    )
    settings.PACKAGE_SIGNING_KEY_FILE = str(key.private)
    settings.PACKAGE_SIGNING_PUBLIC_KEY_FILE = str(key.public)
    return key


@pytest.fixture
def identity() -> Any:
    """The recipient's age identity (its secret key), which only the recipient holds."""
    return pyrage.x25519.Identity.generate()


def register(kind: str, identity: Any, name: str = "") -> JusticeRecipient:
    return JusticeRecipient.objects.create(
        kind=kind,
        name=name or f"Office ({kind})",
        age_recipient=str(identity.to_public()),
        registered_on="2026-12-01",
    )


@pytest.fixture
def recipient(db, identity) -> JusticeRecipient:
    return register(JusticeRecipient.Kind.ICC_OTP, identity, "ICC Office of the Prosecutor")


@dataclass
class Routed:
    case: Case
    case_key: bytes


def routed_account(service_keys, persona: Persona, narrative: str = NARRATIVE_CANARY) -> Routed:
    """An account with a contact, a file, an addition, a message and a note, routed to
    `persona`, with no choice about justice made yet."""
    data = account_data(
        narrative=narrative,
        harms=["sexual_violence", "education"],
        when_month="3",
        when_year="2024",
        country="Afghanistan",
        region="Herat",
        others_targeted="yes",
        contact_channel="signal",
        contact_address=ADDRESS_CANARY,
        contact_times=TIMES_CANARY,
        contact_code_word=CODE_WORD_CANARY,
    )
    before = set(Case.objects.values_list("pk", flat=True))
    send(Client(), data, files=[upload("evidence.pdf", PDF)])
    case = Case.objects.exclude(pk__in=before).get()
    case_key = route_to(case, service_keys, persona.profile)
    actions.add_information(case, case_key, ADDED_CANARY, [])
    actions.reply_to_survivor(case, case_key, persona.profile, MESSAGE_CANARY)
    actions.add_note(case, case_key, persona.profile, NOTE_CANARY)
    return Routed(Case.objects.get(pk=case.pk), case_key)


def choose(routed: Routed, *kinds: str, with_identity=False, witness_contact=False) -> None:
    """Her choices, as her page saves them."""
    actions.set_justice_consent(
        routed.case,
        routed.case_key,
        recipients=kinds,
        with_identity=with_identity,
        witness_contact=witness_contact,
        language="fa",
    )
    routed.case.refresh_from_db()


@pytest.fixture
def routed(service_keys, caseworker) -> Routed:
    return routed_account(service_keys, caseworker)


def prepare_url(case: Case, recipient: JusticeRecipient) -> str:
    return f"/caseworker/cases/{case.public_id}/documentation/{recipient.public_id}/"


def prepare(client: Client, persona: Persona, case: Case, recipient: JusticeRecipient) -> Any:
    """Ask for a package, giving the password again when asked."""
    response = client.post(prepare_url(case, recipient))
    if response.status_code == 302 and "/reauthenticate/" in response["Location"]:
        response = reauthenticate(client, response, persona)
    return response


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()
