"""Retention: closed cases are crypto-shredded after the configured period."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from intake import actions
from intake.models import AuditEntry, Case, KeyWrap, RoutingJob
from intake.tasks import purge_expired_cases
from tests.intake.conftest import PNG, account_data, send, upload

pytestmark = pytest.mark.django_db


def test_closed_cases_are_shredded_after_the_retention_period(
    client: Client, service_keys, media_root, settings
) -> None:
    send(client, account_data(), files=[upload("p.png", PNG)])
    send(Client(), account_data())
    old, recent = Case.objects.order_by("id")
    long_ago = timezone.now() - timedelta(days=settings.RETENTION_DAYS_AFTER_CLOSE + 1)
    Case.objects.filter(pk=old.pk).update(status=Case.Status.CLOSED, updated_hour=long_ago)
    Case.objects.filter(pk=recent.pk).update(status=Case.Status.CLOSED)
    assert purge_expired_cases() == 1
    assert list(Case.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not KeyWrap.objects.filter(case_id=old.pk).exists()
    assert not list((media_root / "attachments").glob("*"))
    assert AuditEntry.objects.filter(action="case.purged", case_ref=str(old.public_id)).exists()


def test_open_cases_are_kept_however_old(client: Client, service_keys, settings) -> None:
    send(client, account_data())
    Case.objects.update(updated_hour=timezone.now() - timedelta(days=10 * 365))
    assert purge_expired_cases() == 0
    assert Case.objects.count() == 1


def test_a_withdrawal_and_its_audit_line_are_one_transaction(
    client: Client, service_keys, monkeypatch
) -> None:
    from django.db import DatabaseError

    send(client, account_data())
    case = Case.objects.get()

    def broken_delete(*args, **kwargs):
        raise DatabaseError("the disk failed")

    # The deletion fails: no line may claim a withdrawal that did not happen.
    monkeypatch.setattr(Case, "delete", broken_delete)
    with pytest.raises(DatabaseError):
        actions.withdraw_case(case)
    assert Case.objects.filter(pk=case.pk).exists()
    assert not AuditEntry.objects.filter(action="case.withdrawn").exists()
    monkeypatch.undo()

    # The line cannot be written: nothing is deleted either.
    monkeypatch.setattr("intake.audit.append", broken_delete)
    with pytest.raises(DatabaseError):
        actions.withdraw_case(case)
    assert Case.objects.filter(pk=case.pk).exists()
    monkeypatch.undo()

    actions.withdraw_case(case)
    assert not Case.objects.filter(pk=case.pk).exists()
    assert AuditEntry.objects.filter(action="case.withdrawn", case_ref=str(case.public_id)).exists()


def test_a_backup_taken_before_a_withdrawal_still_holds_the_case(
    client: Client, service_keys, media_root, tmp_path
) -> None:
    """What intake.actions.withdraw_case's docstring and docs/operations.md ("Backups") say:
    withdrawal shreds the case in the portal, but a backup taken before keeps the ciphertext and
    its wraps, and restoring it brings the account back. Hence backups are kept 30 days at most."""
    import shutil

    from django.core import serializers

    _, receipt = send(client, account_data(), [upload("p.png", PNG)])
    case = Case.objects.get()
    # A backup, as scripts/backup.sh takes one: the case's rows and the media folder.
    rows = [case, *KeyWrap.objects.filter(case=case), *case.attachments.all()]
    rows += list(RoutingJob.objects.filter(case=case))
    backup = serializers.serialize("json", rows)
    shutil.copytree(media_root, tmp_path / "media-backup")

    opened = client.post("/en/intake/return/", {"receipt": receipt})
    assert opened.status_code == 302
    withdrawn = client.post("/en/intake/my-account/withdraw/", {"confirm": "on"})
    assert withdrawn.status_code == 200
    assert not Case.objects.exists()
    assert not KeyWrap.objects.exists()
    assert Client().post("/en/intake/return/", {"receipt": receipt}).status_code == 404

    # Restored from that backup, the receipt opens the withdrawn account again: the file's name,
    # sealed with the case key, is decrypted through the survivor's wrap.
    for row in serializers.deserialize("json", backup):
        row.save()
    shutil.copytree(tmp_path / "media-backup", media_root, dirs_exist_ok=True)
    survivor = Client()
    back = survivor.post("/en/intake/return/", {"receipt": receipt})
    assert back.status_code == 302
    page = survivor.get(back["Location"]).content.decode()
    assert "p.png" in page
