"""The coordinators' side of documentation packages (issue 17): recipients, the register,
recording a package as sent (never a stopped one), and the organisation's signing key."""

import io
import stat

import pyrage  # type: ignore[import-untyped]  # no type information shipped
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from intake import actions
from intake.models import AuditEntry, DocumentationPackage, JusticeRecipient, StaffProfile
from intake.packages.signing import fingerprint, load_public_key
from tests.caseworker.conftest import make_persona, reauthenticate, sign_in
from tests.caseworker.package_fixtures import (
    choose,
    identity,
    package_key,
    prepare,
    recipient,
    routed,
)

pytestmark = pytest.mark.django_db
# Fixtures used by name below.
__all__ = ["identity", "package_key", "recipient", "routed"]

ICC = JusticeRecipient.Kind.ICC_OTP
COORDINATOR_PAGES: list[tuple[str, str, dict[str, str]]] = [
    ("get", "/caseworker/documentation/recipients/", {}),
    ("get", "/caseworker/documentation/register/", {}),
]


def coordinator_urls(recipient: JusticeRecipient, package: DocumentationPackage | None):
    urls = [
        *COORDINATOR_PAGES,
        ("post", "/caseworker/documentation/recipients/add/", {"kind": "un", "name": "X"}),
        ("post", f"/caseworker/documentation/recipients/{recipient.public_id}/retire/", {}),
    ]
    if package is not None:
        urls.append(("post", f"/caseworker/documentation/register/{package.public_id}/sent/", {}))
    return urls


@pytest.fixture
def unvetted_coordinator(db):
    return make_persona(
        "new-coordinator@example.org",
        role=StaffProfile.Role.COORDINATOR,
        vetting=StaffProfile.Vetting.PENDING,
    )


@pytest.fixture
def a_package(routed, caseworker, recipient, package_key) -> DocumentationPackage:
    choose(routed, ICC)
    response = prepare(sign_in(Client(), caseworker), caseworker, routed.case, recipient)
    assert response.status_code == 200
    return DocumentationPackage.objects.get()


@pytest.mark.parametrize("persona", ["caseworker", "other_caseworker", "unvetted_coordinator"])
def test_the_register_and_recipients_are_for_coordinators_only(
    a_package, recipient, persona, request: pytest.FixtureRequest
) -> None:
    someone = request.getfixturevalue(persona)
    someone.forget_used_code()  # the caseworker signed in already to prepare the package
    client = sign_in(Client(), someone)
    for method, url, data in coordinator_urls(recipient, a_package):
        assert getattr(client, method)(url, data).status_code == 404, url
    recipient.refresh_from_db()
    a_package.refresh_from_db()
    assert recipient.active
    assert a_package.state == DocumentationPackage.State.PREPARED


def test_a_coordinator_registers_and_retires_a_recipient(coordinator, identity) -> None:
    client = sign_in(Client(), coordinator)
    assert client.get("/caseworker/documentation/recipients/").status_code == 200
    url = "/caseworker/documentation/recipients/add/"
    wrong = {"kind": "icc_otp", "name": "ICC OTP", "age_recipient": "ssh-ed25519 AAAAC3Nza"}
    response = client.post(url, wrong)
    assert response.status_code == 400
    assert "This is not an age public key" in response.content.decode()
    assert not JusticeRecipient.objects.exists()
    good = {**wrong, "age_recipient": str(identity.to_public())}
    asked = client.post(url, good)
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    assert not JusticeRecipient.objects.exists()
    reauthenticate(client, asked, coordinator)
    registered = JusticeRecipient.objects.get()
    assert (registered.kind, registered.name, registered.active) == ("icc_otp", "ICC OTP", True)
    assert registered.registered_by == coordinator.user
    assert AuditEntry.objects.filter(
        action="package.recipient_registered",
        actor=coordinator.user,
        detail=f"recipient {registered.public_id}",
    ).exists()
    assert str(identity.to_public()) in client.get(url.replace("add/", "")).content.decode()
    client.post(f"/caseworker/documentation/recipients/{registered.public_id}/retire/")
    registered.refresh_from_db()
    assert registered.active is False
    assert AuditEntry.objects.filter(action="package.recipient_retired").count() == 1


def test_the_register_lists_packages_and_records_one_as_sent(
    a_package, coordinator, caseworker, recipient
) -> None:
    client = sign_in(Client(), coordinator)
    page = client.get("/caseworker/documentation/register/").content.decode()
    assert str(a_package.public_id)[:8] in page
    assert recipient.name in page
    assert caseworker.user.email in page
    assert a_package.file_sha256[:16] in page
    assert "Record as sent" in page
    url = f"/caseworker/documentation/register/{a_package.public_id}/sent/"
    asked = client.post(url)
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    a_package.refresh_from_db()
    assert a_package.state == DocumentationPackage.State.PREPARED
    reauthenticate(client, asked, coordinator)
    a_package.refresh_from_db()
    assert a_package.state == DocumentationPackage.State.SENT
    assert a_package.sent_by == coordinator.user
    assert a_package.sent_on is not None
    assert AuditEntry.objects.filter(
        action="package.sent", actor=coordinator.user, detail=f"package {a_package.public_id}"
    ).exists()
    # Recorded once only.
    assert actions.record_package_sent(coordinator.profile, a_package) is False
    assert AuditEntry.objects.filter(action="package.sent").count() == 1


def test_a_stopped_package_says_do_not_send_and_cannot_be_recorded_as_sent(
    a_package, routed, coordinator
) -> None:
    # She changes her mind before it was sent: the package stops (intake/actions/justice.py).
    choose(routed)
    a_package.refresh_from_db()
    assert a_package.state == DocumentationPackage.State.STOPPED
    client = sign_in(Client(), coordinator)
    page = client.get("/caseworker/documentation/register/").content.decode()
    assert "Stopped: do not send" in page
    assert "Record as sent" not in page
    response = client.post(f"/caseworker/documentation/register/{a_package.public_id}/sent/")
    assert response.status_code == 409
    assert "Do not send it" in response.content.decode()
    with pytest.raises(actions.PackageStopped):
        actions.record_package_sent(coordinator.profile, a_package)
    a_package.refresh_from_db()
    assert a_package.state == DocumentationPackage.State.STOPPED
    assert not AuditEntry.objects.filter(action="package.sent").exists()


def test_the_signing_key_page_shows_the_public_key_and_its_fingerprint(
    package_key, caseworker, coordinator
) -> None:
    expected = fingerprint(load_public_key())
    for persona in (caseworker, coordinator):
        client = sign_in(Client(), persona)
        page = client.get("/caseworker/documentation/signing-key/").content.decode()
        assert expected in page
        assert "BEGIN PUBLIC KEY" in page
        download = client.get("/caseworker/documentation/signing-key/?download=1")
        assert download.content == package_key.public.read_bytes()
        assert "PRIVATE" not in download.content.decode()


def test_init_package_key_writes_both_halves_and_never_overwrites(tmp_path) -> None:
    private, public = tmp_path / "k" / "package.key", tmp_path / "k" / "org-public.pem"
    out = io.StringIO()
    call_command(
        "init_package_key", private_key_file=str(private), public_key_file=str(public), stdout=out
    )
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in private.read_bytes()
    assert b"PUBLIC KEY" in public.read_bytes()
    before = (private.read_bytes(), public.read_bytes())
    for only in ("private", "public", "both"):
        if only == "private":
            public.rename(tmp_path / "moved.pem")
        with pytest.raises(CommandError, match="never overwrite"):
            call_command(
                "init_package_key",
                private_key_file=str(private),
                public_key_file=str(public),
                stdout=io.StringIO(),
            )
        if only == "private":
            (tmp_path / "moved.pem").rename(public)
    assert (private.read_bytes(), public.read_bytes()) == before
    with pytest.raises(CommandError, match="PACKAGE_SIGNING_KEY_FILE"):
        call_command("init_package_key", private_key_file="", public_key_file="")


def test_a_recipient_key_is_checked_by_pyrage(coordinator) -> None:
    from intake.packages.encryption import BadRecipient, check_recipient

    key = str(pyrage.x25519.Identity.generate().to_public())
    assert check_recipient(f"  {key}\n") == key
    other_checksum = key[:-1] + ("q" if key[-1] != "q" else "p")
    for wrong in ("", "age1", other_checksum, "AGE-SECRET-KEY-1ABC"):
        with pytest.raises(BadRecipient):
            check_recipient(wrong)
