"""seed_demo: vetted demo staff whose written-out secrets really sign in."""

import json
import os
import stat

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from intake.models import StaffProfile
from tests.caseworker.conftest import Persona, sign_in

pytestmark = pytest.mark.django_db


def test_it_refuses_to_run_in_production(settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="development"):
        call_command("seed_demo")


def test_there_is_no_way_around_the_refusal(settings) -> None:
    settings.DEBUG = False
    with pytest.raises(TypeError, match="force"):
        call_command("seed_demo", force=True)


def test_the_written_accounts_sign_in(tmp_path, client: Client, settings) -> None:
    settings.DEBUG = True  # as under make run
    target = tmp_path / "accounts.json"
    call_command("seed_demo", json=str(target))
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    accounts = json.loads(target.read_text())
    assert {a["role"] for a in accounts} == {"caseworker", "coordinator"}
    assert len({language for a in accounts for language in a["languages"]}) >= 5
    profiles = StaffProfile.objects.all()
    assert all(p.vetting == StaffProfile.Vetting.VETTED and p.has_key for p in profiles)
    amina = next(a for a in accounts if a["email"].startswith("amina"))
    persona = Persona(
        StaffProfile.objects.get(user__email=amina["email"]).user,
        amina["password"],
        amina["totp_secret"],
    )
    sign_in(client, persona)
    assert client.get("/caseworker/").status_code == 200
    # Running it again creates nothing new.
    call_command("seed_demo")
    assert StaffProfile.objects.count() == len(accounts)
