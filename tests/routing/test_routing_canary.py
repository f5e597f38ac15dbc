"""Invariant 1 for routing: while a real worker routes accounts, no word of them passes through
Redis (the broker and the cache), neither in a command nor in a key or value left behind.

A unique canary goes into every text field of each account. A MONITOR connection records every
command the Redis server receives while the accounts are sent and routed; afterwards every key and
value of the test's Redis database is read too. The canary is searched for as it is, in hex, and
in base64 at each of the three byte alignments (kombu sends message bodies in base64).
"""

import base64
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings
from django.test import Client

from intake.models import RoutingJob
from tests.caseworker.conftest import make_persona
from tests.conftest import CeleryWorker, start_celery_worker, wait_for
from tests.intake.conftest import account_data, send


def forms_of(canary: str) -> list[bytes]:
    """The canary as bytes, in hex, and in base64 wherever it starts in the encoded data."""
    raw = canary.encode()
    forms = [raw, raw.hex().encode(), raw.hex().upper().encode()]
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)
        # Drop the first and last four characters, which also encode neighbouring bytes.
        for alphabet in (encoded, encoded.replace(b"+", b"-").replace(b"/", b"_")):
            forms.append(alphabet[4:-4])
    return forms


class RedisMonitor:
    """Everything the Redis server receives, as MONITOR reports it, recorded in a thread."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.socket = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379))
        if parts.password:
            self.socket.sendall(f"AUTH {parts.password}\r\n".encode())
        self.socket.sendall(b"MONITOR\r\n")
        self.socket.settimeout(0.2)
        self.received = bytearray()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.record)
        self.thread.start()

    def record(self) -> None:
        while not self.stopping.is_set():
            try:
                chunk = self.socket.recv(1 << 16)
            except TimeoutError:
                continue
            if not chunk:
                break
            self.received += chunk

    def stop(self) -> bytes:
        self.stopping.set()
        self.thread.join()
        self.socket.close()
        return bytes(self.received)


def stored_in_redis(url: str) -> Iterator[bytes]:
    """Every key and value of this Redis database."""
    store = redis.Redis.from_url(url)
    for key in store.scan_iter("*"):
        kind = store.type(key)
        items: list[Any] = [key]
        if kind == b"string":
            items.append(store.get(key) or b"")
        elif kind == b"list":
            items += store.lrange(key, 0, -1)
        elif kind == b"hash":
            for field, value in store.hgetall(key).items():
                items += [field, value]
        elif kind == b"set":
            items += store.smembers(key)
        elif kind == b"zset":
            items += store.zrange(key, 0, -1)
        # Without decode_responses, redis-py returns bytes.
        yield from (bytes(item) for item in items)


@pytest.fixture
def worker(worker_keys, worker_routing_key_file: Path, tmp_path: Path) -> Iterator[CeleryWorker]:
    from portal.celery import app

    configured = app.conf.task_default_queue
    app.conf.task_default_queue = f"canary-{uuid.uuid4().hex[:8]}"
    worker = start_celery_worker(
        app.conf.task_default_queue, tmp_path, routing_key_file=worker_routing_key_file
    )
    yield worker
    worker.stop()
    app.conf.task_default_queue = configured


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_no_account_text_passes_through_redis_while_routing(worker, coordinator) -> None:
    make_persona("amina@example.org", languages=["ar"], regions=["Kassala"])
    canary = f"CANARY{uuid.uuid4().hex}"
    monitor = RedisMonitor(settings.REDIS_URL)
    try:
        for urgent in ("on", ""):
            response, receipt = send(
                Client(),
                account_data(
                    narrative=f"narrative {canary} <b>{canary}</b>",
                    country=f"country-{canary}",
                    region=f"region-{canary}",
                    contact_times=f"times-{canary}",
                    contact_channel="signal",
                    contact_address=f"address-{canary}",
                    contact_code_word=f"code-{canary}",
                    preferred_language="ar",
                    in_danger=urgent,
                ),
            )
            assert receipt, response.content.decode()[:2000]
        assert wait_for(
            lambda: list(RoutingJob.objects.values_list("state", flat=True)) == ["done", "done"]
        ), worker.log()
    finally:
        commands = monitor.stop()
    # The recording really holds the routing: the task messages pushed to this test's queues.
    assert b"intake.tasks.route_case" in commands
    assert f'"{worker.queue}-urgent"'.encode() in commands
    stored = list(stored_in_redis(settings.REDIS_URL))
    assert stored  # the cache and the broker's bookkeeping are there to be searched
    for needle in forms_of(canary):
        assert needle not in commands, needle
        assert not any(needle in item for item in stored), needle
    assert canary not in worker.log()


@pytest.mark.parametrize("prefix", [b"", b"{", b'{"', b'{"a'])
def test_the_search_finds_the_canary_base64_encoded_at_any_offset(prefix: bytes) -> None:
    canary = f"CANARY{uuid.uuid4().hex}"
    body = prefix + f'[[1], {{"note": "{canary}"}}]'.encode()
    for encoded in (base64.b64encode(body), base64.urlsafe_b64encode(body)):
        assert any(needle in encoded for needle in forms_of(canary))
