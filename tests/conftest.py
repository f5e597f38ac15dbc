"""Shared fixtures: services, a real Celery worker, and Chromium driven by Playwright.

Tests marked `services` need real PostgreSQL and Redis (DATABASE_URL, REDIS_URL); `worker` tests
also get a Celery worker process; `browser` tests need Debian's Chromium. Without them these tests
are skipped, unless REQUIRE_SERVICES=1, which turns every missing piece into a failure (.ci/run
sets it, so CI can never pass by skipping).
"""

import io
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings
from django.db import connection

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = PROJECT_ROOT / "test-artifacts"


def _missing_services() -> str:
    """Why the real services cannot be used, or "" when they can."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "DATABASE_URL does not point at PostgreSQL"
    if not settings.REDIS_URL:
        return "REDIS_URL is not set"
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis at REDIS_URL does not answer ({exc.__class__.__name__})"
    return ""


def _missing_browser() -> str:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is not installed (apt-get install chromium)"
    return ""


def pytest_runtest_setup(item: pytest.Item) -> None:
    reasons = []
    if item.get_closest_marker("services") or item.get_closest_marker("worker"):
        reasons.append(_missing_services())
    if item.get_closest_marker("browser"):
        reasons.append(_missing_browser())
    reason = "; ".join(r for r in reasons if r)
    if reason:
        if REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def production_settings() -> dict[str, object]:
    """The settings a production process sees (read in a child process with production env)."""
    from tests.production import load_production_settings

    return load_production_settings()


@pytest.fixture
def console_output() -> Iterator[io.StringIO]:
    """Everything the configured log handlers write (through their filters and formatters),
    at the most verbose level a misconfigured server could use."""
    handlers = {
        handler
        for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
        if isinstance(logger, logging.Logger)
        for handler in logger.handlers
        if isinstance(handler, logging.StreamHandler)
    }
    assert handlers, "LOGGING configured no console handler"
    output = io.StringIO()
    previous = {handler: handler.setStream(output) for handler in handlers}
    level = logging.getLogger().level
    logging.getLogger().setLevel(logging.DEBUG)
    yield output
    logging.getLogger().setLevel(level)
    for handler, stream in previous.items():
        handler.setStream(stream)


@dataclass
class ServiceKeys:
    routing: Path
    coordinators: Path


@pytest.fixture
def service_keys(db: None, tmp_path: Path, settings: Any) -> ServiceKeys:
    """The routing and coordinators key pairs, made by `manage.py init_keys` for this test."""
    from django.core.management import call_command

    keys = ServiceKeys(tmp_path / "routing.key", tmp_path / "coordinators.key")
    call_command(
        "init_keys",
        routing_key_file=str(keys.routing),
        coordinators_key_file=str(keys.coordinators),
        stdout=io.StringIO(),
    )
    # Where tasks run in-process (no Redis), this process routes, so it needs the key file;
    # worker processes get it through child_environment().
    settings.ROUTING_KEY_FILE = str(keys.routing)
    return keys


def clear_rate_counters() -> None:
    """Remove every rate-limit counter from the cache. A counter names a bucket of many addresses
    (intake/ratelimit.py), so the clients of two tests can share one: each test starts with none."""
    from django.core.cache import cache

    backend: Any = getattr(cache, "_cache", None)
    try:
        if hasattr(backend, "get_client"):
            redis_client = backend.get_client(write=True)
            keys = list(redis_client.scan_iter(cache.make_key("rate:*")))
            if keys:
                redis_client.delete(*keys)
        else:
            cache.clear()
    except redis.RedisError:
        pass  # no Redis here: the tests that need it are skipped or fail on their own


@pytest.fixture(autouse=True)
def generous_rate_limits(settings: Any) -> None:
    clear_rate_counters()
    # Rate limits are tested on their own (test_rate_limits.py); elsewhere they stay out of the way.
    settings.INTAKE_SUBMISSION_LIMIT = (1000, 3600)
    settings.INTAKE_SUBMISSION_CEILING = (100000, 3600)
    settings.INTAKE_RECEIPT_LIMIT = (1000, 900)
    settings.INTAKE_RECEIPT_CEILING = (100000, 900)
    # allauth's login limits likewise (tested with their defaults in test_accounts.py): the
    # suite signs in hundreds of times from one address.
    settings.ACCOUNT_RATE_LIMITS = False


@pytest.fixture(autouse=True)
def no_kept_rights_pages() -> Iterator[None]:
    """Each test starts and ends with no rights page kept in memory (rights/pages.py): a test
    that changes the library in place (tests/rights/test_views.py) must not see, nor leave,
    another test's pages."""
    from rights.pages import STORE

    STORE.forget()
    yield
    STORE.forget()


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Encrypted attachments go to a folder of each test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def wait_for(condition: Callable[[], object], timeout: float = 30.0) -> bool:
    """Poll `condition` until it is true or `timeout` seconds pass (for work done by workers)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def routing_case_key(case: Any, routing_key_file: Path) -> bytes:
    """Open a case's routing wrap with the routing private key, as the worker does."""
    from intake.crypto import unwrapping
    from intake.models import KeyWrap

    wrap = KeyWrap.objects.get(case=case, recipient="routing")
    return unwrapping.unwrap_case_key(
        bytes(wrap.wrapped),
        routing_key_file.read_bytes(),
        case_id=case.case_id,
        recipient="routing",
        key_id=wrap.key_id,
    )


# --- The test database, and the role web and worker processes use -----------------------------


@dataclass
class RuntimeRole:
    """The database role of this test session's web and worker processes (made by
    `manage.py setup_runtime_role`): it may only SELECT and INSERT on the audit log."""

    name: str
    password: str


# Set by django_db_setup below, once the test database exists.
_runtime_role: list[RuntimeRole] = []


def runtime_role() -> RuntimeRole:
    if not _runtime_role:
        raise RuntimeError("the runtime role is made with the test database (django_db_setup)")
    return _runtime_role[0]


def flush_past_the_audit_guard(original: Callable[..., None]) -> Callable[..., None]:
    """Django's flush (between transactional tests) empties every table with one TRUNCATE, which
    the audit log's guard refuses (intake/migrations/0012_audit_no_truncate.py). This session
    connects as a superuser, the only kind of role that may switch ordinary triggers off for its
    session; the runtime role of the portal's processes cannot."""

    def flush(self: Any, sql_list: list[str]) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
        try:
            original(self, sql_list)
        finally:
            with self.connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")

    return flush


@pytest.fixture(scope="session")
def django_db_setup(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """pytest-django's test database, plus (on PostgreSQL) a runtime role of this session's own
    for the processes tests start (child_environment): the whole suite then shows that what the
    portal does needs no more than that role's privileges. Migrations and the tests' own queries
    run as the owner, as `manage.py migrate` does in production."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        yield
        return
    from django.core.management import call_command
    from django.db.backends.postgresql.operations import DatabaseOperations

    # Roles belong to the whole PostgreSQL cluster, which other test runs share.
    role = RuntimeRole(f"portal_rt_{uuid.uuid4().hex[:10]}", uuid.uuid4().hex)
    password_file = tmp_path_factory.mktemp("runtime-role") / "password"
    password_file.write_text(role.password)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            DatabaseOperations,
            "execute_sql_flush",
            flush_past_the_audit_guard(DatabaseOperations.execute_sql_flush),
        )
        with django_db_blocker.unblock():
            call_command(
                "setup_runtime_role",
                role=role.name,
                password_file=str(password_file),
                stdout=io.StringIO(),
            )
        _runtime_role.append(role)
        yield
        _runtime_role.clear()
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(f"DROP OWNED BY {role.name}")
            cursor.execute(f"DROP ROLE {role.name}")


CHILD_APPLICATION_NAME = "portal-test-child"


def database_url_for_test_database() -> str:
    """DATABASE_URL naming the test database pytest-django created, for child processes, as the
    session's runtime role (as web, worker and beat connect in production)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise RuntimeError("child processes can share only a PostgreSQL test database")
    role = runtime_role()
    port = f":{db['PORT']}" if db.get("PORT") else ""
    host = db.get("HOST") or "127.0.0.1"
    # Named, so that tests can tell the children's connections from the test process's own.
    return (
        f"postgres://{role.name}:{role.password}@{host}{port}/{db['NAME']}"
        f"?application_name={CHILD_APPLICATION_NAME}"
    )


def child_environment(**extra: str) -> dict[str, str]:
    """The environment for a web, worker or beat process started by a test: it connects to the
    test database as the runtime role."""
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url_for_test_database()
    env.update(extra)
    return env


# --- A real Celery worker ---------------------------------------------------------------------


@dataclass
class TaskOutcome:
    task: str
    id: str
    outcome: str  # "succeeded" or "failed"
    result: str  # repr() of what it returned, or the class name of what it raised


@dataclass
class CeleryWorker:
    process: subprocess.Popen[bytes]
    log_path: Path
    queue: str
    name: str
    outcomes_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def outcomes(self, task: str = "") -> list[TaskOutcome]:
        """Every task this worker has finished (or only those named `task`), in order. Written
        by the worker's own task_success and task_failure signals (tests/celery_app.py)."""
        if not self.outcomes_path.exists():
            return []
        lines = self.outcomes_path.read_text().splitlines()
        done = [TaskOutcome(**json.loads(line)) for line in lines if line.endswith("}")]
        return [o for o in done if not task or o.task == task]

    def succeeded(self, task_id: str) -> bool:
        return any(o.id == task_id and o.outcome == "succeeded" for o in self.outcomes())

    def stop(self) -> None:
        stop_process(self.process, timeout=20)


def start_celery_worker(
    queue: str,
    log_dir: Path,
    *,
    concurrency: int = 2,
    routing_key_file: Path | None = None,
    broker_url: str | None = None,
    environment: dict[str, str] | None = None,
) -> CeleryWorker:
    from portal.celery import app

    name = f"test-{uuid.uuid4().hex[:8]}@%h"
    log_path = log_dir / f"worker-{name.split('@')[0]}.log"
    outcomes_path = log_dir / f"worker-{name.split('@')[0]}.outcomes"
    # tests.celery_app is the portal's app plus a record of each task's outcome.
    command = [
        sys.executable, "-m", "celery", "-A", "tests.celery_app", "worker",
        "--loglevel=INFO", f"--concurrency={concurrency}", "-n", name,
        "-Q", f"{queue}-urgent,{queue}",
        "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=child_environment(
                ROUTING_KEY_FILE=str(routing_key_file or ""),
                CELERY_QUEUE=queue,
                REDIS_URL=broker_url or settings.REDIS_URL,
                TASK_OUTCOMES_FILE=str(outcomes_path),
                **(environment or {}),
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    worker = CeleryWorker(process, log_path, queue, name, outcomes_path)
    hostname = name.replace("%h", socket.gethostname())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Celery worker exited early:\n{worker.log()}")
        replies = app.control.ping(destination=[hostname], timeout=0.5)
        if replies:
            return worker
    worker.stop()
    raise RuntimeError(f"the Celery worker did not answer within 60 s:\n{worker.log()}")


@pytest.fixture(scope="session")
def celery_queue() -> str:
    """A queue of this test session's own, so no other worker on the machine takes its tasks."""
    from portal.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    return queue


@contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Make this process's Celery app send to `url` (then back to the configured broker)."""
    import kombu.pools

    from portal.celery import app

    def reconnect(to: str) -> None:
        # Celery caches connections and producers; drop them so the next send uses `to`.
        app.conf.broker_url = to  # type: ignore[misc]
        kombu.pools.reset()
        app._pool = None  # type: ignore[attr-defined]
        app.amqp._producer_pool = None  # type: ignore[attr-defined]

    configured = app.conf.broker_url
    reconnect(url)
    try:
        yield
    finally:
        reconnect(configured)


@pytest.fixture(scope="session")
def worker_routing_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the test workers read the routing private key (they read it for every task)."""
    return tmp_path_factory.mktemp("worker-keys") / "routing.key"


@pytest.fixture(scope="session")
def celery_worker(
    django_db_setup: None,
    celery_queue: str,
    worker_routing_key_file: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[CeleryWorker]:
    if _missing_services():
        pytest.skip(_missing_services())
    worker = start_celery_worker(
        celery_queue, tmp_path_factory.mktemp("celery"), routing_key_file=worker_routing_key_file
    )
    yield worker
    worker.stop()


@pytest.fixture
def worker_keys(service_keys: ServiceKeys, worker_routing_key_file: Path) -> ServiceKeys:
    """This test's service keys, with the routing key where the test workers look for it."""
    worker_routing_key_file.write_bytes(service_keys.routing.read_bytes())
    return service_keys


# --- Chromium through Playwright -------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if _missing_browser():
        pytest.skip(_missing_browser())
    # Playwright's sync API runs an event loop in this thread; the Django ORM calls that tests make
    # alongside it are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@dataclass
class BrowserSession:
    """One browser context: its pages, and every network request they made."""

    context: Any
    base_url: str
    requests: list[str] = field(default_factory=list)
    allowed_hosts: set[str] = field(default_factory=set)

    def new_page(self) -> Any:
        return self.context.new_page()

    def url(self, path: str) -> str:
        return self.base_url + path

    def stub_external_site(self, url: str, body: str = "<title>Weather</title>") -> None:
        """Answer one outside address with a local stub, for tests that follow a link away.

        The request is still recorded; only this host is then allowed.
        """
        host = urlsplit(url).netloc
        self.allowed_hosts.add(host)
        self.context.route(
            f"{urlsplit(url).scheme}://{host}/**",
            lambda route: route.fulfill(status=200, content_type="text/html", body=body),
        )

    def foreign_requests(self) -> list[str]:
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme in ("http", "https", "ws", "wss")
            and urlsplit(url).netloc not in self.allowed_hosts
        ]


class _NeutralSite(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>Weather</title><p>Sunny."
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def neutral_site() -> Iterator[str]:
    """A local stand-in for the neutral site the quick exit leads to (QUICK_EXIT_URL).

    The quick exit reaches it through a redirect from this site's exit address, and Playwright's
    routes (BrowserSession.stub_external_site) do not catch the hop of a redirect in Chromium: the
    browser would go to the real site. Browser tests point QUICK_EXIT_URL here instead; a page
    must still be allowed to go there with stub_external_site.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NeutralSite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/weather"
    server.shutdown()
    server.server_close()


@pytest.fixture
def browser(
    chromium: Any,
    live_server: Any,
    transactional_db: None,
    request: pytest.FixtureRequest,
    settings: Any,
    neutral_site: str,
) -> Iterator[Callable[..., BrowserSession]]:
    """Open browser sessions against the live server; fail if any page contacts another host."""
    settings.QUICK_EXIT_URL = neutral_site
    sessions: list[BrowserSession] = []

    def open_session(*, javascript: bool = True, **options: Any) -> BrowserSession:
        options.setdefault("viewport", {"width": 390, "height": 844})
        context = chromium.new_context(java_script_enabled=javascript, **options)
        context.set_default_timeout(10_000)
        session = BrowserSession(
            context, live_server.url, allowed_hosts={urlsplit(live_server.url).netloc}
        )
        context.on("request", lambda req: session.requests.append(req.url))
        sessions.append(session)
        return session

    yield open_session

    foreign: list[str] = []
    for session in sessions:
        foreign += session.foreign_requests()
        call_report = getattr(request.node, "rep_call", None)
        if call_report is not None and call_report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for number, page in enumerate(session.context.pages):
                page.screenshot(path=ARTIFACTS / f"{request.node.name}-{number}.png")
        session.context.close()
    if foreign:
        pytest.fail(f"pages made requests to other hosts: {foreign}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Lets fixtures see whether the test body failed (for screenshots on failure).
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def sessions_waiting_for_a_lock() -> int:
    """How many sessions of this test database wait for a lock (a placement held up on purpose)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def stop_process(process: "subprocess.Popen[bytes]", timeout: float) -> None:
    """Ask a child process to end (SIGTERM); kill it if it has not within `timeout` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
