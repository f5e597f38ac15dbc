"""setup_dev_site (what `make run` does before serving): demo staff, the coordinators' key and
example survivor accounts, once per fresh database and only in development.

tests/test_make_run.py runs the real `make run` and tries every account through the server; these
tests look at the database it leaves.
"""

import contextlib
import io
import json
import os
import stat
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from intake import access, actions, crypto
from intake.management.commands.seed_demo_survivors import EXAMPLES
from intake.models import (
    AuditEntry,
    Case,
    JusticeRecipient,
    Message,
    PatternChange,
    PatternCount,
    RecipientKey,
    RoutingJob,
    StaffProfile,
)
from tests.conftest import celery_broker

pytestmark = pytest.mark.django_db(transaction=True)


@contextlib.contextmanager
def tasks_in_process(eager: bool) -> Iterator[None]:
    from portal.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    try:
        yield
    finally:
        app.conf.task_always_eager = before


@pytest.fixture
def var(settings, tmp_path) -> Iterator[Path]:
    """A var/ folder of this test's own, with make run's DEBUG, routing key file and tasks run
    in-process (as without REDIS_URL). The database commits as make run's does, so routing runs
    when a case is committed."""
    settings.DEBUG = True
    settings.ROUTING_KEY_FILE = str(tmp_path / "var" / "keys" / "routing.key")
    # As make run's DEV_ENV (Makefile): the key that signs documentation packages.
    settings.PACKAGE_SIGNING_KEY_FILE = str(tmp_path / "var" / "keys" / "package_signing.key")
    settings.PACKAGE_SIGNING_PUBLIC_KEY_FILE = str(
        tmp_path / "var" / "keys" / "package-signing.pub"
    )
    with tasks_in_process(True):
        yield tmp_path / "var"


def setup_dev_site(var: Path) -> str:
    output = io.StringIO()
    call_command("setup_dev_site", var_dir=str(var), stdout=output, stderr=io.StringIO())
    return output.getvalue()


def demo_coordinators() -> "list[StaffProfile]":
    return list(
        StaffProfile.objects.filter(
            role=StaffProfile.Role.COORDINATOR, user__email__endswith="@demo.invalid"
        )
    )


def test_setup_dev_site_does_nothing_outside_development(settings, tmp_path) -> None:
    settings.DEBUG = False
    settings.ROUTING_KEY_FILE = str(tmp_path / "var" / "keys" / "routing.key")
    with pytest.raises(CommandError, match="development"):
        setup_dev_site(tmp_path / "var")
    assert not RecipientKey.objects.exists()
    assert not StaffProfile.objects.exists()
    assert not Case.objects.exists()
    assert not (tmp_path / "var").exists()


def test_no_example_account_is_sent_outside_development(settings, service_keys, tmp_path) -> None:
    # A site with keys, where the examples could be sent (and routed to real caseworkers).
    settings.DEBUG = False
    with pytest.raises(CommandError, match="development"):
        call_command("seed_demo_survivors", json=str(tmp_path / "receipts.json"))
    assert not Case.objects.exists()
    assert not (tmp_path / "receipts.json").exists()


@pytest.mark.parametrize("tasks", ["in-process", "sent to a broker no worker reads yet"])
def test_a_fresh_database_gets_examples_placed_by_routing(var: Path, tasks: str) -> None:
    with contextlib.ExitStack() as stack:
        if tasks != "in-process":
            # make run with REDIS_URL, before `make worker` is started: the examples are routed
            # in setup_dev_site's own process all the same.
            stack.enter_context(tasks_in_process(False))
            stack.enter_context(celery_broker("memory://"))
        printed = setup_dev_site(var)
    assert Case.objects.count() == len(EXAMPLES)
    states = Counter(RoutingJob.objects.values_list("state", flat=True))
    assert states == {RoutingJob.State.DONE: len(EXAMPLES) - 1, RoutingJob.State.WAITING: 1}
    assert Case.objects.filter(urgent=True).count() == 1
    assert Case.objects.filter(status=Case.Status.ACKNOWLEDGED).count() == 2
    assert Message.objects.count() == 2
    # Every example agreed to be counted: the coordinators' pattern page has counts.
    assert PatternCount.objects.exists()
    assert not PatternChange.objects.exists()
    # Every receipt is printed, kept for this user only, and opens its account.
    path = var / "demo-survivors.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    survivors = json.loads(path.read_text())
    assert len(survivors) == len(EXAMPLES)
    opened = set()
    for survivor in survivors:
        assert survivor["receipt"] in printed
        case_and_key = access.open_case_with_receipt(
            crypto.normalise_receipt(survivor["receipt"]) or ""
        )
        assert case_and_key is not None
        opened.add(case_and_key[0].pk)
    assert len(opened) == len(EXAMPLES)


def test_demo_coordinators_hold_the_coordinators_key_shared_as_an_operator_does(
    var: Path,
) -> None:
    setup_dev_site(var)
    coordinators = demo_coordinators()
    assert len(coordinators) == 2
    assert all(c.coordinators_key_share is not None for c in coordinators)
    shared = AuditEntry.objects.filter(action="staff.coordinators_key_shared")
    assert {entry.subject_id for entry in shared} == {c.user_id for c in coordinators}


def test_a_second_run_creates_nothing_and_prints_the_same_accounts(var: Path) -> None:
    first = setup_dev_site(var)
    second = setup_dev_site(var)
    assert Case.objects.count() == len(EXAMPLES)
    assert StaffProfile.objects.count() == 6
    ready = "The portal is ready."
    assert first.split(ready)[1] == second.split(ready)[1]


def test_coordinators_seeded_before_they_held_the_key_receive_it(var: Path) -> None:
    # A database from an earlier `make run`: keys and demo staff, no coordinator with the key.
    keys = var / "keys"
    call_command(
        "init_keys",
        routing_key_file=str(keys / "routing.key"),
        coordinators_key_file=str(keys / "coordinators.key"),
        stdout=io.StringIO(),
    )
    call_command("seed_demo", json=str(var / "demo-accounts.json"), stdout=io.StringIO())
    assert all(c.coordinators_key_share is None for c in demo_coordinators())
    setup_dev_site(var)
    assert all(c.coordinators_key_share is not None for c in demo_coordinators())
    # Not a fresh database: no example accounts appear in it.
    assert not Case.objects.exists()


def test_a_demo_package_opens_with_the_demo_recipients_key(var: Path, tmp_path: Path) -> None:
    """Issue 17 on the demo site: the Ukrainian example chose the ICC Prosecutor; a package her
    caseworker prepares for the demo recipient opens with the age identity setup_dev_site kept
    (the real age tool) and verifies against the signing key it made."""
    printed = setup_dev_site(var)
    identity = var / "keys" / "demo-recipient.agekey"
    assert stat.S_IMODE(os.stat(identity).st_mode) == 0o600
    assert "demo-recipient.agekey" in printed
    recipient = JusticeRecipient.objects.get(active=True)
    survivor = next(
        s for s in json.loads((var / "demo-survivors.json").read_text()) if s["language"] == "uk"
    )
    case, case_key = access.open_case_with_receipt(
        crypto.normalise_receipt(survivor["receipt"]) or ""
    ) or (None, b"")
    assert case is not None
    assert actions.justice_consent(case, case_key).recipients == {"icc_otp"}
    caseworker = StaffProfile.objects.get(user=RoutingJob.objects.get(case=case).assigned_to)
    with transaction.atomic():
        prepared = actions.prepare_package(caseworker, recipient, [(case, case_key)])
    encrypted = tmp_path / "package.age"
    encrypted.write_bytes(prepared.data)
    opened = subprocess.run(
        ["age", "-d", "-i", str(identity), str(encrypted)], capture_output=True, check=True
    ).stdout
    package = tmp_path / "package.zip"
    package.write_bytes(opened)
    checked = subprocess.run(
        [
            sys.executable,
            "scripts/verify_package.py",
            str(package),
            str(var / "keys" / "package-signing.pub"),
        ],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
