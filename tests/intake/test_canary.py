"""Invariant 1, searched for: after an account is sent, its words exist nowhere on the server.

A unique canary goes into every part of an account (narrative, answers, contact, a file's name and
its bytes, a later message and addition); then the test searches a pg_dump of the database, the
media folder, the temporary folder, everything the loggers wrote, and every Redis key and value.
"""

import os
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import Client

from tests.intake.conftest import account_data, send, upload

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def pg_dump() -> bytes:
    db = connection.settings_dict
    env = dict(os.environ, PGPASSWORD=db.get("PASSWORD") or "")
    command = [
        "pg_dump",
        "--no-owner",
        "-h",
        db["HOST"] or "127.0.0.1",
        "-p",
        str(db["PORT"] or 5432),
    ]
    if db.get("USER"):
        command += ["-U", db["USER"]]
    return subprocess.run([*command, db["NAME"]], env=env, capture_output=True, check=True).stdout


def files_containing(folder: Path, needle: bytes) -> list[str]:
    hits = []
    for path in folder.rglob("*"):
        try:
            if path.is_file() and path.stat().st_size < 200_000_000 and needle in path.read_bytes():
                hits.append(str(path))
        except OSError:
            continue  # sockets, vanished files, permissions
    return hits


def test_no_plaintext_anywhere_after_an_account_is_sent(
    client: Client, service_keys, media_root, console_output
) -> None:
    canary = f"CANARY{uuid.uuid4().hex}"
    data = account_data(
        narrative=f"narrative {canary} <b>{canary}</b>",
        country=f"country-{canary}",
        region=f"region-{canary}",
        contact_channel="signal",
        contact_address=f"address-{canary}",
        contact_code_word=f"code-{canary}",
        in_danger="on",
    )
    file_bytes = b"%PDF-1.4\n" + f"file-bytes-{canary}".encode() * 5000
    _, receipt = send(client, data, files=[upload(f"name-{canary}.pdf", file_bytes)])
    assert receipt
    client.post("/en/intake/return/", {"receipt": receipt})
    client.post("/en/intake/my-account/message/", {"text": f"message-{canary}"})
    client.post("/en/intake/my-account/add/", {"text": f"addition-{canary}"})
    page = client.get("/en/intake/my-account/").content.decode()
    assert f"message-{canary}" in page  # the survivor can read it: it really was stored

    needle = canary.encode()
    dump = pg_dump()
    assert b"intake_case" in dump  # the dump really holds the tables
    assert needle not in dump
    # bytea columns appear in hex in a dump: search for that form too.
    assert needle.hex().encode() not in dump
    assert files_containing(Path(media_root), needle) == []
    assert list(Path(media_root).rglob("*.sealed"))
    assert files_containing(Path(tempfile.gettempdir()), needle) == []
    assert canary not in console_output.getvalue()
    keys = redis.Redis.from_url(settings.REDIS_URL)
    for key in keys.scan_iter("*"):
        assert needle not in key
        kind = keys.type(key)
        if kind == b"string":
            assert needle not in (keys.get(key) or b"")
        elif kind == b"list":
            assert all(needle not in item for item in keys.lrange(key, 0, -1))
        elif kind == b"hash":
            assert all(needle not in v for v in keys.hgetall(key).values())
        elif kind in (b"set", b"zset"):
            members = keys.smembers(key) if kind == b"set" else keys.zrange(key, 0, -1)
            assert all(needle not in m for m in members)
