"""What the database, the web process and the keys can and cannot do (docs/security.md,
section 2)."""

import io
import os
import stat

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from intake import access, actions, crypto
from intake.crypto import unwrapping
from intake.models import Case, KeyWrap, RecipientKey
from tests.conftest import routing_case_key
from tests.intake.conftest import account_data, send

pytestmark = pytest.mark.django_db


def test_init_keys_keeps_private_keys_out_of_the_database(service_keys) -> None:
    for path in (service_keys.routing, service_keys.coordinators):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        private = path.read_bytes()
        public = crypto.key_pair_from_seed(private).public
        assert RecipientKey.objects.filter(public_key=public, active=True).exists()
    assert RecipientKey.objects.count() == 2


def test_init_keys_never_overwrites_a_key(service_keys) -> None:
    with pytest.raises(CommandError, match="keys exist already"):
        call_command(
            "init_keys",
            routing_key_file=str(service_keys.routing),
            coordinators_key_file=str(service_keys.coordinators),
        )
    with pytest.raises(CommandError, match="exists"):
        call_command(
            "init_keys",
            routing_key_file=str(service_keys.routing),
            coordinators_key_file=str(service_keys.coordinators),
            rotate=True,
        )


def test_rotation_keeps_old_cases_readable(client: Client, service_keys, tmp_path) -> None:
    send(client, account_data(narrative="before rotation"))
    call_command(
        "init_keys",
        routing_key_file=str(tmp_path / "routing-2.key"),
        coordinators_key_file=str(tmp_path / "coordinators-2.key"),
        rotate=True,
        stdout=io.StringIO(),
    )
    send(client, account_data(narrative="after rotation"))
    old, new = Case.objects.order_by("id")
    old_wrap = KeyWrap.objects.get(case=old, recipient="routing")
    new_wrap = KeyWrap.objects.get(case=new, recipient="routing")
    assert old_wrap.key_id != new_wrap.key_id
    case_key = routing_case_key(old, service_keys.routing)
    answers = actions.open_json(case_key, old.case_id, "answers", bytes(old.answers))
    assert answers["narrative"] == "before rotation"


def test_no_case_opens_with_only_the_database_and_the_web_settings(
    client: Client, service_keys, settings
) -> None:
    settings.ROUTING_KEY_FILE = ""  # as in production: web processes never get it
    send(client, account_data(narrative="secret words"))
    case = Case.objects.get()
    # Everything the web process has: its settings and every value in the database. Try each
    # stored value and each setting as a private key or a case key.
    candidates: list[bytes] = [
        settings.SECRET_KEY.encode(),
        settings.RECEIPT_LOOKUP_KEY.encode(),
    ]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (table names from Django)
            for row in cursor.fetchall():
                candidates += [bytes(v) for v in row if isinstance(v, bytes | memoryview)]
                candidates += [v.encode() for v in row if isinstance(v, str)]
    opened = 0
    for wrap in KeyWrap.objects.filter(case=case):
        for candidate in candidates:
            for key in (candidate[: crypto.PRIVATE_KEY_BYTES],):
                if len(key) != crypto.PRIVATE_KEY_BYTES:
                    continue
                try:
                    unwrapping.unwrap_case_key(
                        bytes(wrap.wrapped),
                        key,
                        case_id=case.case_id,
                        recipient=wrap.recipient,
                        key_id=wrap.key_id,
                    )
                    opened += 1
                except crypto.DecryptionError:
                    pass
    for candidate in candidates:
        if len(candidate) == crypto.CASE_KEY_BYTES:
            with pytest.raises(crypto.DecryptionError):
                actions.open_json(candidate, case.case_id, "answers", bytes(case.answers))
    assert opened == 0


def test_the_routing_key_opens_the_routing_hints(client: Client, service_keys) -> None:
    send(
        client,
        account_data(preferred_language="fa", caseworker_gender="woman", lgbtqi_support="on"),
    )
    case = Case.objects.get()
    case_key = routing_case_key(case, service_keys.routing)
    hints = actions.open_json(case_key, case.case_id, "routing-hints", bytes(case.routing_hints))
    assert hints["language"] == "fa"
    assert hints["caseworker_gender"] == "woman"
    assert "lgbtqi" in hints["specialisms"]
    assert b'"language"' not in bytes(case.routing_hints)


def test_the_receipt_alone_opens_the_account(client: Client, service_keys) -> None:
    _, receipt = send(client, account_data(narrative="only with the receipt"))
    opened = access.open_case_with_receipt(receipt.replace(" ", ""))
    assert opened is not None
    case, case_key = opened
    view = actions.read_case(case, case_key)
    assert view.answers["narrative"] == "only with the receipt"
    assert view.answers["consent"]["version"]
    assert view.answers["consent"]["referral"] is False
