"""Documentation packages as the caseworker prepares them (issue 17): only for the kinds of office
the survivor chose, with her name and contact only if she chose so; signed, encrypted to the
recipient alone, audited, and asked for with the password again."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pyrage  # type: ignore[import-untyped]  # no type information shipped
import pytest
from django.test import Client

from intake import actions
from intake.actions.sealed_json import open_json, seal_json
from intake.models import AuditEntry, DocumentationPackage, JusticeRecipient, PackagedCase
from intake.packages.signing import SigningKeyMissing, new_key_pair
from scripts.verify_package import load_key, problems
from tests.caseworker.conftest import reauthenticate, sign_in
from tests.caseworker.package_fixtures import (
    ADDED_CANARY,
    CONTACT_CANARIES,
    NARRATIVE_CANARY,
    NEVER_IN_A_PACKAGE,
    choose,
    identity,
    package_key,
    prepare,
    prepare_url,
    recipient,
    register,
    rezip,
    routed,
    routed_account,
    unzip,
)

pytestmark = pytest.mark.django_db
# Fixtures used by name below.
__all__ = ["identity", "package_key", "recipient", "routed"]

ROOT = Path(__file__).resolve().parents[2]
ICC = JusticeRecipient.Kind.ICC_OTP
UN = JusticeRecipient.Kind.UN


def packaged(client, caseworker, routed, recipient, identity) -> dict[str, bytes]:
    response = prepare(client, caseworker, routed.case, recipient)
    assert response.status_code == 200, response.content[:500]
    return unzip(pyrage.decrypt(response.content, [identity]))


def everything(files: dict[str, bytes]) -> str:
    return "\n".join(data.decode("utf-8", "replace") for data in files.values())


# --- The consent gate -------------------------------------------------------------------------


def test_without_her_choice_there_is_no_package(routed, caseworker, recipient, package_key) -> None:
    client = sign_in(Client(), caseworker)
    page = client.get(f"/caseworker/cases/{routed.case.public_id}/").content.decode()
    assert "has not chosen to share her account for justice" in page
    assert prepare_url(routed.case, recipient) not in page
    assert prepare(client, caseworker, routed.case, recipient).status_code == 404
    with pytest.raises(actions.NotChosen):
        actions.prepare_package(caseworker.profile, recipient, [(routed.case, routed.case_key)])
    assert not DocumentationPackage.objects.exists()
    assert not AuditEntry.objects.filter(action__in=["case.packaged", "package.prepared"]).exists()


def test_another_kind_of_office_is_not_her_choice(
    routed, caseworker, recipient, identity, package_key
) -> None:
    choose(routed, UN)
    un = register(UN, identity)
    client = sign_in(Client(), caseworker)
    page = client.get(f"/caseworker/cases/{routed.case.public_id}/").content.decode()
    assert prepare_url(routed.case, un) in page
    assert prepare_url(routed.case, recipient) not in page
    assert prepare(client, caseworker, routed.case, recipient).status_code == 404
    with pytest.raises(actions.NotChosen):
        actions.prepare_package(caseworker.profile, recipient, [(routed.case, routed.case_key)])
    assert not DocumentationPackage.objects.exists()
    # The opening was audited, though nothing was prepared.
    assert AuditEntry.objects.filter(action="case.opened_to_package").exists()


def test_a_retired_recipient_gets_no_package(routed, caseworker, recipient, package_key) -> None:
    choose(routed, ICC)
    recipient.active = False
    recipient.save()
    client = sign_in(Client(), caseworker)
    assert (
        prepare_url(routed.case, recipient)
        not in client.get(f"/caseworker/cases/{routed.case.public_id}/").content.decode()
    )
    assert prepare(client, caseworker, routed.case, recipient).status_code == 404
    with pytest.raises(actions.RecipientRetired):
        actions.prepare_package(caseworker.profile, recipient, [(routed.case, routed.case_key)])


@pytest.mark.parametrize("persona", ["other_caseworker", "unvetted_caseworker", "coordinator"])
def test_anyone_else_gets_a_404(
    routed, recipient, package_key, persona, request: pytest.FixtureRequest
) -> None:
    choose(routed, ICC, with_identity=True)
    someone = request.getfixturevalue(persona)
    client = sign_in(Client(), someone)
    assert client.post(prepare_url(routed.case, recipient)).status_code == 404
    several = f"/caseworker/documentation/{recipient.public_id}/"
    assert client.post(several, {"cases": [str(routed.case.public_id)]}).status_code == 404
    page = client.get(f"/caseworker/documentation/?recipient={recipient.public_id}")
    assert str(routed.case.public_id) not in page.content.decode()
    assert not DocumentationPackage.objects.exists()


# --- The password, the audit log, the register --------------------------------------------------


def test_the_password_is_asked_again_first(routed, caseworker, recipient, package_key) -> None:
    choose(routed, ICC)
    client = sign_in(Client(), caseworker)
    asked = client.post(prepare_url(routed.case, recipient))
    assert asked.status_code == 302
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    assert not DocumentationPackage.objects.exists()
    assert not AuditEntry.objects.filter(action="case.packaged").exists()
    response = prepare(client, caseworker, routed.case, recipient)
    assert response.status_code == 200
    assert DocumentationPackage.objects.count() == 1


def test_every_package_is_in_the_register_and_the_audit_log(
    routed, caseworker, recipient, identity, package_key
) -> None:
    choose(routed, ICC)
    client = sign_in(Client(), caseworker)
    response = prepare(client, caseworker, routed.case, recipient)
    package = DocumentationPackage.objects.get()
    assert response["Content-Disposition"] == (
        f'attachment; filename="documentation-{package.public_id}.age"'
    )
    assert "no-store" in response["Cache-Control"]
    assert package.state == DocumentationPackage.State.PREPARED
    assert (package.recipient, package.prepared_by, package.case_count) == (
        recipient,
        caseworker.user,
        1,
    )
    assert package.file_sha256 == hashlib.sha256(response.content).hexdigest()
    files = unzip(pyrage.decrypt(response.content, [identity]))
    assert package.manifest_sha256 == hashlib.sha256(files["manifest.json"]).hexdigest()
    line = PackagedCase.objects.get()
    assert (line.case, line.with_identity) == (routed.case, False)
    # Opened, packaged, prepared: in this order, the last two naming the package.
    entries = list(AuditEntry.objects.filter(actor=caseworker.user).order_by("id"))
    actions_done = [e.action for e in entries]
    assert actions_done[-3:] == ["case.opened_to_package", "case.packaged", "package.prepared"]
    assert entries[-1].detail == entries[-2].detail == f"package {package.public_id}"
    assert entries[-2].case_ref == str(routed.case.public_id)
    # The chain of custody holds the case's entries, the new ones included, with their hashes.
    custody = json.loads(files["custody.json"])
    trail = custody["accounts"][0]["audit_entries"]
    assert [e["action"] for e in trail[-2:]] == ["case.opened_to_package", "case.packaged"]
    assert trail[-1]["entry_hash"] == entries[-2].entry_hash
    assert custody["package_audit_entry"]["id"] == entries[-1].pk
    assert custody["package_audit_entry"]["entry_hash"] == entries[-1].entry_hash
    assert custody["prepared_by"] == caseworker.user.email
    assert custody["package"] == str(package.public_id)


# --- What is in it ------------------------------------------------------------------------------


def test_the_package_holds_what_she_agreed_to_share_and_nothing_else(
    routed, caseworker, recipient, identity, package_key
) -> None:
    choose(routed, ICC, witness_contact=True)
    files = packaged(sign_in(Client(), caseworker), caseworker, routed, recipient, identity)
    text = everything(files)
    assert NARRATIVE_CANARY in text
    assert ADDED_CANARY in text
    for canary in CONTACT_CANARIES + NEVER_IN_A_PACKAGE:
        assert canary not in text, canary
    folder = f"accounts/{routed.case.public_id}"
    account = json.loads(files[f"{folder}/account.json"])
    assert account["identity_and_contact"] == {"shared": False, "contact": None}
    assert account["possible_witness"]["agreed_to_be_contacted"] is True
    assert "only through" in account["possible_witness"]["how"]
    incident = account["incident"]
    assert incident["period"] == {"month": 3, "year": 2024, "ongoing": False}
    assert (incident["country"], incident["region"]) == ("Afghanistan", "Herat")
    citations = {
        item["harm"]: [p["citation"] for p in item["may_fall_under"]]
        for item in incident["kinds_of_harm"]
    }
    assert citations["sexual_violence"] == [
        "Art. 7(1)(g)",
        "Art. 8(2)(b)(xxii)",
        "Art. 8(2)(e)(vi)",
    ]
    assert citations["education"][0].startswith("Art. 7(1)(h)")
    assert "not a legal qualification" in incident["caution"]
    summary = files["summary.txt"].decode()
    assert "not a legal qualification" in summary
    assert "widespread or systematic attack" in summary
    assert account["her_choice"]["language"] == "fa"
    # Her file, decrypted, with the hash sealed when it was received.
    (listed,) = account["files"]
    assert files[listed["path"]].startswith(b"%PDF-1.4")
    assert hashlib.sha256(files[listed["path"]]).hexdigest() == listed["sha256"]


def test_with_her_name_and_contact_her_contact_goes_in(
    routed, caseworker, recipient, identity, package_key
) -> None:
    choose(routed, ICC, with_identity=True, witness_contact=True)
    client = sign_in(Client(), caseworker)
    page = client.get(f"/caseworker/cases/{routed.case.public_id}/").content.decode()
    assert "Included: she chose" in page
    files = packaged(client, caseworker, routed, recipient, identity)
    text = everything(files)
    for canary in CONTACT_CANARIES:
        assert canary in text, canary
    for canary in NEVER_IN_A_PACKAGE:  # the code word stays between her and us
        assert canary not in text, canary
    assert PackagedCase.objects.get().with_identity is True


# --- Signed, and for the recipient only ----------------------------------------------------------


def test_the_package_verifies_and_fails_when_any_byte_changes(
    routed, caseworker, recipient, identity, package_key, tmp_path
) -> None:
    choose(routed, ICC)
    files = packaged(sign_in(Client(), caseworker), caseworker, routed, recipient, identity)
    key = load_key(package_key.public)
    good = tmp_path / "package.zip"
    good.write_bytes(rezip(files))
    assert problems(good, key) == []
    manifest = json.loads(files["manifest.json"])
    assert {f["name"] for f in manifest["files"]} == set(files) - {
        "manifest.json",
        "manifest.json.sig",
    }
    # One byte of any file, the manifest or the signature.
    for name in files:
        changed = dict(files)
        data = bytearray(changed[name])
        data[len(data) // 2] ^= 0x01
        changed[name] = bytes(data)
        bad = tmp_path / "changed.zip"
        bad.write_bytes(rezip(changed))
        assert problems(bad, key), name
    # A file added, a file taken away.
    bad.write_bytes(rezip({**files, "accounts/extra.txt": b"added"}))
    assert problems(bad, key)
    bad.write_bytes(rezip({k: v for k, v in files.items() if k != "summary.txt"}))
    assert problems(bad, key)
    # Another organisation's key.
    other = tmp_path / "other.pem"
    other.write_bytes(new_key_pair()[1])
    assert problems(good, load_key(other))


def test_the_script_for_recipients(routed, caseworker, recipient, identity, package_key, tmp_path):
    choose(routed, ICC)
    client = sign_in(Client(), caseworker)
    response = prepare(client, caseworker, routed.case, recipient)
    good = tmp_path / "package.zip"
    good.write_bytes(pyrage.decrypt(response.content, [identity]))
    script = str(ROOT / "scripts" / "verify_package.py")
    run = subprocess.run(
        [sys.executable, script, str(good), str(package_key.public)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "VERIFIED" in run.stdout
    raw = bytearray(good.read_bytes())
    raw[len(raw) // 3] ^= 0x01  # a byte of the zip itself
    good.write_bytes(bytes(raw))
    run = subprocess.run(
        [sys.executable, script, str(good), str(package_key.public)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert "NOT VERIFIED" in run.stdout


def test_only_the_recipients_identity_opens_it(
    routed, caseworker, recipient, identity, package_key, tmp_path
) -> None:
    choose(routed, ICC)
    response = prepare(sign_in(Client(), caseworker), caseworker, routed.case, recipient)
    with pytest.raises(pyrage.DecryptError):
        pyrage.decrypt(response.content, [pyrage.x25519.Identity.generate()])
    # age itself (the Go implementation), as a recipient would run it.
    encrypted = tmp_path / "documentation.age"
    encrypted.write_bytes(response.content)
    identity_file = tmp_path / "key.txt"
    identity_file.write_text(str(identity) + "\n")
    run = subprocess.run(
        ["/usr/bin/age", "-d", "-i", str(identity_file), str(encrypted)],
        capture_output=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == pyrage.decrypt(response.content, [identity])
    assert "manifest.json" in unzip(run.stdout)
    other_file = tmp_path / "other.txt"
    other_file.write_text(str(pyrage.x25519.Identity.generate()) + "\n")
    run = subprocess.run(
        ["/usr/bin/age", "-d", "-i", str(other_file), str(encrypted)],
        capture_output=True,
        check=False,
    )
    assert run.returncode != 0


def test_a_file_that_does_not_match_its_sealed_hash_is_refused(
    routed, caseworker, recipient, package_key
) -> None:
    choose(routed, ICC)
    attachment = routed.case.attachments.get()
    item = f"{attachment.item}/metadata"
    metadata = open_json(
        routed.case_key, routed.case.case_id, item, bytes(attachment.sealed_metadata)
    )
    metadata["sha256"] = "0" * 64
    attachment.sealed_metadata = seal_json(routed.case_key, routed.case.case_id, item, metadata)
    attachment.save()
    with pytest.raises(actions.FileAltered):
        actions.prepare_package(caseworker.profile, recipient, [(routed.case, routed.case_key)])
    response = prepare(sign_in(Client(), caseworker), caseworker, routed.case, recipient)
    assert response.status_code == 409
    assert "does not match" in response.content.decode()
    assert not DocumentationPackage.objects.exists()
    assert not AuditEntry.objects.filter(action="package.prepared").exists()


def test_without_the_signing_key_the_pages_say_so(routed, caseworker, recipient, settings) -> None:
    settings.PACKAGE_SIGNING_KEY_FILE = ""
    settings.PACKAGE_SIGNING_PUBLIC_KEY_FILE = ""
    choose(routed, ICC)
    client = sign_in(Client(), caseworker)
    page = client.get(f"/caseworker/cases/{routed.case.public_id}/")
    assert page.status_code == 200
    assert "signing key is not set up" in page.content.decode()
    response = client.post(prepare_url(routed.case, recipient))
    assert response.status_code == 503
    assert "init_package_key" in response.content.decode()
    for url in ("/caseworker/documentation/", "/caseworker/documentation/signing-key/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "not set up" in response.content.decode()
    with pytest.raises(SigningKeyMissing):
        actions.prepare_package(caseworker.profile, recipient, [(routed.case, routed.case_key)])


# --- Several cases in one package ---------------------------------------------------------------


def test_one_package_for_several_cases_that_chose_it(
    service_keys, caseworker, recipient, identity, package_key
) -> None:
    first = routed_account(service_keys, caseworker, "First account.")
    second = routed_account(service_keys, caseworker, "Second account.")
    third = routed_account(service_keys, caseworker, "Third account, not chosen.")
    choose(first, ICC)
    choose(second, ICC, with_identity=True)
    choose(third, UN)
    client = sign_in(Client(), caseworker)
    page = client.get(f"/caseworker/documentation/?recipient={recipient.public_id}")
    listed = page.content.decode()
    assert str(first.case.public_id) in listed
    assert str(second.case.public_id) in listed
    assert str(third.case.public_id) not in listed
    url = f"/caseworker/documentation/{recipient.public_id}/"
    # A case whose survivor did not choose this office: 404, nothing prepared.
    response = client.post(url, {"cases": [str(first.case.public_id), str(third.case.public_id)]})
    assert response.status_code == 404
    assert not DocumentationPackage.objects.exists()
    chosen = {"cases": [str(first.case.public_id), str(second.case.public_id)]}
    response = client.post(url, chosen)
    if response.status_code == 302:
        response = reauthenticate(client, response, caseworker)
    assert response.status_code == 200
    package = DocumentationPackage.objects.get()
    assert package.case_count == 2
    lines = {line.case_id: line.with_identity for line in package.cases.all()}
    assert lines == {first.case.pk: False, second.case.pk: True}
    text = everything(unzip(pyrage.decrypt(response.content, [identity])))
    assert "First account." in text
    assert "Second account." in text
    assert "Third account" not in text
    assert AuditEntry.objects.filter(action="case.packaged").count() == 2


def test_a_choice_changed_while_preparing_stops_the_package_being_made(
    routed, caseworker, recipient, package_key
) -> None:
    """The action reads her choices again from the locked row: a change committed after the
    case was opened (here: she no longer wants her name in it) refuses the package."""
    choose(routed, ICC, with_identity=True)
    opened = type(routed.case).objects.get(pk=routed.case.pk)
    choose(routed, ICC)  # committed meanwhile
    with pytest.raises(actions.ConsentChanged):
        actions.prepare_package(caseworker.profile, recipient, [(opened, routed.case_key)])
    assert not DocumentationPackage.objects.exists()
    assert not AuditEntry.objects.filter(action="case.packaged").exists()
