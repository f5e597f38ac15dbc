"""PostgreSQL restarts while survivors are sending accounts.

A PostgreSQL cluster of this test's own (initdb and pg_ctl; the shared server is never touched)
serves a real gunicorn. Three survivors keep sending accounts over HTTP while the test stops the
cluster with `pg_ctl stop -m fast` (which ends every open connection, inside transactions too),
waits until someone has been answered during the outage, and starts it again. Then:

- every survivor who got a receipt can open that account with it, and it exists exactly once;
- every survivor told "NOT saved" has no account written, and still has the text on the page;
- a survivor whose COMMIT was cut by the stop is told we cannot confirm it was saved (the
  database cannot be asked then): that account may exist, once;
- there is no other account;
- every account sent once the cluster is back is received (the web server's persistent database
  connections recover: CONN_HEALTH_CHECKS checks a reused connection before each request, so a
  connection broken by the restart is replaced instead of failing the first survivor).
"""

import contextlib
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from intake import crypto
from intake.models import Case, RoutingJob, SubmissionToken
from tests.conftest import PROJECT_ROOT, REQUIRE_SERVICES, child_environment, wait_for
from tests.faults.conftest import (
    MAYBE_SAVED,
    NOT_SAVED,
    Submission,
    Visitor,
    WebServer,
    assert_received,
    assert_told_maybe_saved,
    assert_told_not_saved,
    free_port,
    narrative_of,
    open_with_receipt,
    send_account,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SURVIVORS = 3
# The role the web server connects as, made in the test's own cluster by setup_runtime_role.
RUNTIME_ROLE = "portal_app"
RECEIPT_SHOWN = 'id="receipt-code"'


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresCluster:
    """A throwaway cluster. PostgreSQL refuses to run as root, so as root it runs as `postgres`."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.folder = Path(tempfile.mkdtemp(prefix="portal-faults-pg-"))
        self.port = free_port()
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(self.folder, "postgres")

    def url(self, database: str = "portal", role: str = "postgres") -> str:
        return f"postgres://{role}@127.0.0.1:{self.port}/{database}"

    def pg_ctl(self, *arguments: str) -> None:
        subprocess.run(
            [*self.as_owner, str(self.bin_dir / "pg_ctl"), "-D", str(self.folder / "data"),
             "-l", str(self.folder / "server.log"), "-w", "-t", "30", *arguments],
            check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip

    def create(self) -> None:
        subprocess.run(
            [*self.as_owner, str(self.bin_dir / "initdb"), "-D", str(self.folder / "data"),
             "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
            check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        self.start()
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-q", "-c",
             "CREATE DATABASE portal"],
            check=True,
        )  # fmt: skip

    def start(self) -> None:
        # fsync off: the test restarts the server cleanly and never needs a crash recovery.
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.pg_ctl("-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("-m", mode, "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[PostgresCluster]:
    bin_dir = postgres_bin()
    if bin_dir is None:
        reason = "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
        if REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
        pytest.skip(reason)
    cluster = PostgresCluster(bin_dir)
    try:
        cluster.create()
        # The portal's schema and service keys, made by the commands an operator runs.
        env = child_environment(DATABASE_URL=cluster.url(), ROUTING_KEY_FILE="")
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--no-input", "-v0"], cwd=PROJECT_ROOT, env=env,
                       check=True)  # fmt: skip
        env["ROUTING_KEY_FILE"] = str(tmp_path / "routing.key")
        subprocess.run(
            [*manage, "init_keys", "--coordinators-key-file", str(tmp_path / "coordinators.key")],
            cwd=PROJECT_ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        # The web server connects as the runtime role, as in production (the cluster trusts
        # local connections, so it needs no password here).
        subprocess.run([*manage, "setup_runtime_role", "--role", RUNTIME_ROLE], cwd=PROJECT_ROOT,
                       env=env, check=True, stdout=subprocess.DEVNULL)  # fmt: skip
        yield cluster
    finally:
        cluster.remove()


@contextlib.contextmanager
def database(cluster: PostgresCluster) -> Iterator[None]:
    """Point this process's ORM at the cluster for a moment (to count what the server wrote)."""
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(cluster.port), NAME="portal")
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


class Survivors:
    """Survivors sending accounts, one after another each, until told to stop."""

    def __init__(self, server: WebServer) -> None:
        self.server = server
        self.sent: list[Submission] = []
        self.errors: list[BaseException] = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._run, args=(number,)) for number in range(SURVIVORS)
        ]

    def _run(self, number: int) -> None:
        visitor = Visitor(self.server.url)
        count = 0
        try:
            while not self.stopping.is_set():
                submission = send_account(visitor, f"pg restart survivor {number} account {count}")
                count += 1
                with self.lock:
                    self.sent.append(submission)
        except BaseException as error:  # reported by the test, not lost in a thread
            self.errors.append(error)

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=120)

    def answered(self, text: str, after: float = 0.0) -> int:
        with self.lock:
            return sum(1 for s in self.sent if s.started > after and text in s.page.text)


def test_accounts_survive_a_postgres_restart(
    cluster: PostgresCluster, web_server_factory, settings, tmp_path: Path
) -> None:
    server: WebServer = web_server_factory(DATABASE_URL=cluster.url(role=RUNTIME_ROLE))
    survivors = Survivors(server)
    survivors.start()
    try:
        assert wait_for(lambda: survivors.answered(RECEIPT_SHOWN) >= SURVIVORS, 60), server.log()
        cluster.stop("fast")
        stopped = time.monotonic()
        # Kept down until a survivor has been answered during the outage (an account sent while
        # the database cannot be reached at all).
        assert wait_for(lambda: survivors.answered(NOT_SAVED, after=stopped) >= 1, 60), server.log()
        cluster.start()
        back = time.monotonic()
        assert wait_for(lambda: survivors.answered(RECEIPT_SHOWN, after=back) >= 2 * SURVIVORS, 60)
    finally:
        survivors.stop()
    assert not survivors.errors, survivors.errors

    receipts: dict[str, Submission] = {}
    not_saved = []
    maybe_saved = []
    for submission in survivors.sent:
        if submission.receipt:
            receipts[assert_received(submission)] = submission
        elif MAYBE_SAVED in submission.page.text:
            assert_told_maybe_saved(submission)  # the stop came at the very moment of a COMMIT
            maybe_saved.append(submission)
        else:
            assert_told_not_saved(submission)  # anything else (a 500, a blank page) fails here
            not_saved.append(submission)
    assert not_saved
    # Every account sent after the restart was received: no survivor meets a stale connection.
    assert all(s.receipt for s in survivors.sent if s.started > back), [
        (s.page.status, s.narrative) for s in survivors.sent if s.started > back and not s.receipt
    ]

    # Each receipt opens its account on the real server.
    for receipt in receipts:
        page = open_with_receipt(Visitor(server.url), receipt)
        assert page.status == 200, page.text[:2000]
        assert "What you shared" in page.text

    lookup_key = settings.RECEIPT_LOOKUP_KEY.encode()
    typed = {receipt: crypto.normalise_receipt(receipt) or "" for receipt in receipts}
    with database(cluster):
        # The receipted accounts exist, each once, and besides them at most the accounts whose
        # survivors were told we cannot confirm: a "NOT saved" account written anyway, or one
        # written twice, would be a case whose lookup no receipt matches and whose words are no
        # such survivor's.
        lookups = {r: crypto.receipt_secrets(typed[r], lookup_key).lookup for r in receipts}
        receipted = set(lookups.values())
        cases = list(Case.objects.all())
        assert sorted(c.receipt_lookup for c in cases if c.receipt_lookup in receipted) == sorted(
            receipted
        )
        unreceipted = [
            narrative_of(c, tmp_path / "coordinators.key")
            for c in cases
            if c.receipt_lookup not in receipted
        ]
        maybe = [s.narrative for s in maybe_saved]
        assert len(set(unreceipted)) == len(unreceipted)
        assert set(unreceipted) <= set(maybe)
        assert RoutingJob.objects.count() == len(cases)
        assert SubmissionToken.objects.count() == len(cases)
        # And each holds the words its survivor wrote.
        for receipt, submission in receipts.items():
            case = Case.objects.get(receipt_lookup=lookups[receipt])
            assert narrative_of(case, tmp_path / "coordinators.key") == submission.narrative
    print(  # figures for the report (pytest -s)
        f"\n{len(survivors.sent)} sent, {len(receipts)} received, {len(not_saved)} told NOT saved,"
        f" {len(maybe_saved)} told we cannot confirm ({len(unreceipted)} of them saved)"
    )
