"""`make bench`: the portal measured against real PostgreSQL, Redis, Celery workers and gunicorn.

Needs DATABASE_URL (PostgreSQL; the benchmark makes and drops a scratch database next to it),
REDIS_URL and wrk (`apt-get install wrk`). In one run, on this machine:

1. routing: a burst of accounts released to the broker at once (three times over, the same
   accounts put back as they were between bursts; the median is shown), then accounts one at a
   time;
2. gunicorn started as in production (gunicorn.conf.py, DEBUG off, static files collected and
   served by WhiteNoise) on a free loopback port, and an explainer page loaded with wrk against
   a static copy of the same page (the same bytes) from the same server, taking turns, without
   compression and with gzip, then revalidated (304);
3. a caseworker signed in over HTTP (password, then TOTP), and the queue and a case page loaded
   with wrk;
4. survivors sharing accounts with a 1 MB file, each through consent, account, review and Send;
5. the database filled to 10,000 cases (a full queue page of them the measured caseworker's) and
   the caseworker pages loaded again, taking turns with a staff page that opens no case (issue
   16), then a long queue;
6. the peak resident memory of the web and Celery workers, against their size at start, and the
   audit log's hash chain checked.

    python -m bench [--accounts 500] [--bursts 3] [--workers 2] [--seconds 10] [--cases 10000]
    python -m bench --only routing    # the routing figures alone
    python -m bench --only explainer [--rounds 3] [--profile DIR]   # the explainer alone
    python -m bench --only caseworker [--rounds 3] [--profile DIR]  # the caseworker pages alone

It prints one table; docs/performance.md records it with the machine it came from.
"""

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from bench.stats import median, percentile
from bench.web import Gunicorn, Load

if TYPE_CHECKING:
    from intake.models import Case, StaffProfile

ROOT = Path(__file__).resolve().parent.parent
# The explainer measured, and where its static copy is collected.
EXPLAINER = "/en/rights/what-is-gender-persecution/"
STATIC_COPY = "bench/explainer-copy.html"
WEB_CONNECTIONS = 32
STAFF_CONNECTIONS = 4
SURVIVORS = 8
# Cases added to the measured caseworker's queue for the long-queue figure.
LONG_QUEUE = 600


def scratch_database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path="/" + name))


def psql(base: str, sql: str) -> None:
    url = scratch_database_url(base, "postgres")
    subprocess.run(["psql", url, "-q", "-c", sql], check=True)


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def submit_batch(count: int) -> int:
    """Runs in a pool process: submit `count` accounts without sending them to the broker."""
    django_setup()
    from django.db import connections, transaction

    from intake import actions, crypto

    # A forked process must not share the parent's database connection.
    for connection in connections.all(initialized_only=True):
        connection.inc_thread_sharing()
        connection.close()
        connection.dec_thread_sharing()

    languages = ["ar", "fa", "uk", "es"]
    for number in range(count):
        answers = {
            "consent": {"version": "bench", "language": "en", "store": True,
                        "caseworker_may_read": True, "referral": False, "justice": False},
            "age_group": "adult", "narrative": "benchmark account " * 20,
            "when": {"month": "", "year": "", "ongoing": False}, "country": "", "region": "",
            "harms": [], "others_targeted": "", "wants": ["legal"],
            "preferred_language": languages[number % len(languages)],
            "caseworker_gender": "any", "lgbtqi_support": False, "in_danger": number % 10 == 0,
        }  # fmt: skip
        # The burst is released later, all at once: keep this commit from sending anything.
        with transaction.atomic():
            actions.submit_account(
                case_key=crypto.new_case_key(),
                public_id=uuid.uuid4(),
                answers=answers,
                contact=None,
                uploads=[],
                submission_token=uuid.uuid4().hex,
            )
            transaction.get_connection().run_on_commit = []
    return count


def steady_latencies(count: int) -> list[float]:
    """Accounts submitted one after another, each sent on commit as in production: the time from
    the commit to the assignment of each."""
    from intake import actions, crypto
    from intake.models import RoutingJob

    latencies = []
    for _ in range(count):
        submitted = actions.submit_account(
            case_key=crypto.new_case_key(),
            public_id=uuid.uuid4(),
            answers={
                "consent": {},
                "age_group": "adult",
                "narrative": "steady",
                "when": {},
                "country": "",
                "region": "",
                "harms": [],
                "others_targeted": "",
                "wants": [],
                "preferred_language": "ar",
                "caseworker_gender": "any",
                "lgbtqi_support": False,
                "in_danger": False,
            },
            contact=None,
            uploads=[],
            submission_token=uuid.uuid4().hex,
        )
        committed = time.monotonic()
        while not RoutingJob.objects.filter(case=submitted.case, state="done").exists():
            if time.monotonic() - committed > 30:
                break
            time.sleep(0.005)
        latencies.append(time.monotonic() - committed)
    return latencies


# --- The table -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    figure: str
    value: str
    baseline: str = ""
    ratio: str = ""


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}x" if baseline else ""


def print_table(header: str, rows: list[Row]) -> None:
    print()
    print(header)
    print("| figure | value | baseline (same run) | ratio |")
    print("|---|---|---|---|")
    for row in rows:
        print(f"| {row.figure} | {row.value} | {row.baseline} | {row.ratio} |")


# --- The phases ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffLogin:
    email: str
    password: str
    totp_secret: str


def prepare_staff(capacity: int) -> StaffLogin:
    """16 vetted caseworkers in four languages, with TOTP; returns the first one's login."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.utils import timezone

    from intake import actions
    from intake.models import StaffProfile

    logins = []
    for number in range(16):
        language = ["ar", "fa", "uk", "es"][number % 4]
        password = secrets.token_urlsafe(12)
        user, _ = actions.invite_staff(
            email=f"bench{number}@example.org",
            role="caseworker",
            invited_by=None,
            languages=[language],
            capacity=capacity,
        )
        actions.accept_invitation(user, password)
        profile = StaffProfile.objects.get(user=user)
        actions.vet_staff(profile, by=None, note="bench")
        StaffProfile.objects.filter(pk=profile.pk).update(conduct_accepted_on=timezone.now().date())
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        logins.append(StaffLogin(user.email, password, secret))
    return logins[0]


def prepare_burst(accounts: int) -> None:
    """Commit `accounts` accounts without sending them to the broker (before any Celery client
    thread exists in this process: the pool forks it)."""
    from django.db import connections

    connections.close_all()
    started = time.monotonic()
    batches = [accounts // 2, accounts - accounts // 2]
    with ProcessPoolExecutor(max_workers=2) as pool:
        assert sum(pool.map(submit_batch, batches)) == accounts
    print(f"prepared {accounts} accounts in {time.monotonic() - started:.1f} s")


@dataclass(frozen=True)
class Burst:
    latencies: list[float]  # release to assignment, per account routed
    sent: float  # seconds to send every message
    accounts: int

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 0.50)

    @property
    def p95(self) -> float:
        return percentile(self.latencies, 0.95)

    @property
    def total(self) -> float:
        return max(self.latencies)


def release_burst() -> Burst:
    """Send the routing message of every pending account at once (as fast as one process can),
    and note when each account is assigned, from the start of the release."""
    from intake.models import RoutingJob
    from intake.tasks import enqueue_routing

    jobs = list(RoutingJob.objects.filter(state="pending").values_list("case_id", "urgent"))
    done_at: dict[int, float] = {}

    def watch() -> None:
        # In a thread of its own: sending 500 messages takes a while, and the workers route
        # accounts meanwhile.
        from django.db import connections

        try:
            while len(done_at) < len(jobs) and time.monotonic() - released < 600:
                now = time.monotonic()
                done = RoutingJob.objects.filter(state="done").values_list("case_id", flat=True)
                for case_pk in done:
                    done_at.setdefault(case_pk, now)
                time.sleep(0.02)
        finally:
            connections.close_all()

    watcher = threading.Thread(target=watch)
    released = time.monotonic()
    watcher.start()
    for case_pk, urgent in jobs:
        enqueue_routing(case_pk, urgent)
    sent = time.monotonic() - released
    watcher.join()
    return Burst([at - released for at in done_at.values()], sent, len(jobs))


def unroute_all() -> None:
    """Put every account back as it was before routing (its job pending, no caseworker's wrap,
    nobody's count raised), so that the same accounts make the next burst. The audit log keeps
    the entries of the earlier bursts."""
    from intake.models import KeyWrap, RoutingJob, StaffProfile

    KeyWrap.objects.filter(recipient__startswith="caseworker:").delete()
    RoutingJob.objects.update(
        state="pending", assigned_to=None, reason="", claimed_by="", claimed_at=None
    )
    StaffProfile.objects.update(routed_count=0)


def wait_for_empty_queues() -> None:
    import redis

    queue = os.environ["CELERY_QUEUE"]
    store = redis.Redis.from_url(os.environ["REDIS_URL"])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if not sum(store.llen(key) for key in store.scan_iter(f"{queue}*")):
            break
        time.sleep(0.1)
    time.sleep(1)  # the last messages taken finish


def routing_rows(bursts: int) -> list[Row]:
    """The routing figures (issue 6): the prepared accounts released to the broker at once,
    `bursts` times (this machine's speed varies from one second to the next, and each burst
    lasts about one), then accounts one at a time, each sent on commit."""
    measured = []
    for number in range(bursts):
        if number:
            # The messages of the previous burst whose accounts were already placed are still
            # being taken: each would route what is pending, so let them run out first.
            wait_for_empty_queues()
            unroute_all()
        measured.append(release_burst())
    steady = steady_latencies(count=40)
    by_p95 = sorted(measured, key=lambda burst: burst.p95)
    median = by_p95[len(by_p95) // 2]
    accounts = median.accounts
    burst = f"routing: burst of {accounts} released at once (median of {bursts} by p95)"
    one = "one at a time"
    return [
        Row(f"{burst}: routed", f"{len(median.latencies)} of {accounts}"),
        Row(
            f"routing: p95 of each of the {bursts} bursts",
            ", ".join(f"{b.p95:.2f} s" for b in measured),
        ),
        Row(f"{burst}: time to send the {accounts} messages", f"{median.sent:.2f} s"),
        Row(
            f"{burst}: release to assignment p50",
            f"{median.p50:.2f} s",
            f"{one}, commit to assignment: {percentile(steady, 0.50):.3f} s",
            ratio(median.p50, percentile(steady, 0.50)),
        ),
        Row(
            f"{burst}: release to assignment p95",
            f"{median.p95:.2f} s",
            f"{one}: {percentile(steady, 0.95):.3f} s",
            ratio(median.p95, percentile(steady, 0.95)),
        ),
        Row(
            f"{burst}: release to assignment max",
            f"{median.total:.2f} s",
            f"{one}: {max(steady):.3f} s",
        ),
        Row(f"{burst}: throughput", f"{len(median.latencies) / median.total:.0f} accounts/s"),
    ]


def start_celery_workers(
    arguments: argparse.Namespace, queue: str
) -> list[subprocess.Popen[bytes]]:
    workers = []
    for number in range(arguments.workers):
        workers.append(
            subprocess.Popen(
                [
                    *(sys.executable, "-m", "celery", "-A", "portal", "worker"),
                    *("--loglevel=WARNING", f"--concurrency={arguments.concurrency}"),
                    *("-Q", f"{queue}-urgent,{queue}", "-n", f"bench{number}@%h"),
                    *("--without-gossip", "--without-mingle"),
                ],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    from portal.celery import app

    deadline = time.monotonic() + 60
    while len(app.control.ping(timeout=0.5) or []) < arguments.workers:
        if time.monotonic() > deadline:
            sys.exit("the workers did not start")
    return workers


@dataclass(frozen=True)
class CeleryMemory:
    """The largest peak resident size (KiB) among the workers' main processes and pools."""

    main: int
    pool: int


def celery_memory(workers: list[subprocess.Popen[bytes]]) -> CeleryMemory:
    from bench.web import children, largest_peak_rss_kib

    return CeleryMemory(
        main=largest_peak_rss_kib([worker.pid for worker in workers]),
        pool=largest_peak_rss_kib([pid for worker in workers for pid in children(worker.pid)]),
    )


def collectstatic() -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--no-input", "-v0"], check=True
    )


def copy_explainer_as_static_file(extra: Path, static_root: Path) -> str:
    """Render the explainer in this process (same settings as gunicorn), collect the bytes as a
    static file, and return that file's URL (hashed, as in production)."""
    from django.test import Client

    from bench.web import PROXY_HEADERS

    response = Client(HTTP_HOST="127.0.0.1", headers=PROXY_HEADERS).get(EXPLAINER)
    assert response.status_code == 200, response.status_code
    copy = extra / STATIC_COPY
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(response.content)
    collectstatic()
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    return "/static/" + manifest["paths"][STATIC_COPY]


def queries_per_page(cookies: dict[str, str], path: str) -> int:
    """The SQL queries one request for `path` makes, counted in this process with the same
    settings and database as gunicorn, in the caseworker's own session."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.web import PROXY_HEADERS

    client = Client(HTTP_HOST="127.0.0.1", headers=PROXY_HEADERS)
    for name, value in cookies.items():
        client.cookies[name] = value
    assert client.get(path).status_code == 200  # per-process caches fill on first use
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.status_code
    return len(captured)


@dataclass(frozen=True)
class Page:
    """One caseworker page measured: wrk's figures, its SQL queries, and the database then."""

    load: Load
    queries: int
    cases_in_database: int
    listed: int


def measure_page(port: int, cookies: dict[str, str], path: str, seconds: int) -> Page:
    from bench import web
    from intake.models import Case

    content = check_page(port, cookies, path)
    headers = {
        **web.PROXY_HEADERS,
        "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
    }
    load = web.wrk(
        f"http://127.0.0.1:{port}{path}",
        connections=STAFF_CONNECTIONS,
        seconds=seconds,
        headers=headers,
    )
    # wrk counts a redirect as a success: make sure the login held to the end.
    check_page(port, cookies, path)
    return Page(
        load=load,
        queries=queries_per_page(cookies, path),
        cases_in_database=Case.objects.count(),
        listed=listed_cases(content),
    )


def wait_until_routed(timeout: float) -> None:
    from intake.models import RoutingJob

    deadline = time.monotonic() + timeout
    while RoutingJob.objects.exclude(state="done").exists() and time.monotonic() < deadline:
        time.sleep(0.1)


# The targets of issue 16: an explainer served at static-file speed.
EXPLAINER_RATE_TARGET = 0.8  # requests/s, at least this fraction of the static file's
EXPLAINER_P99_TARGET = 1.5  # p99, at most this multiple of the static file's


def target(found: float, *, at_least: float = 0, at_most: float = 0) -> str:
    """A ratio, and whether it meets its target (issue 16)."""
    if at_least:
        return f"{found:.2f}x (target >= {at_least}x: {'met' if found >= at_least else 'NOT met'})"
    return f"{found:.2f}x (target <= {at_most}x: {'met' if found <= at_most else 'NOT met'})"


def explainer_rows(server: Gunicorn, static_url: str, arguments: argparse.Namespace) -> list[Row]:
    """An explainer against the same bytes served as a static file by the same server, without
    compression (as wrk asks) and with gzip (as browsers ask), then a browser revalidating it.

    Other work on the machine changes its speed from one minute to the next, so the explainer
    and the static file take turns, `--rounds` times each, the explainer first in the first
    round and second in the next; the ratio is the median of the rounds' ratios (each round's
    two runs are seconds apart), the figures the medians. With
    --profile, py-spy records each worker during the explainer's first uncompressed run.
    """
    from bench import web

    browser = web.Browser(server.port)
    _, _, explainer = browser.get(EXPLAINER)
    status, _, copy = browser.get(static_url)
    _, page_headers, _ = browser.get(EXPLAINER)
    browser.close()
    web.expect(status, 200, "the static copy", copy)
    if explainer != copy:
        raise RuntimeError("gunicorn's explainer page is not the page copied as a static file")
    size = len(explainer.encode())
    # Other work on this machine moves these figures most: say how busy it was for them.
    load_before = os.getloadavg()[0]
    rows = []
    for encoding in ("identity", "gzip"):
        headers = {**web.PROXY_HEADERS, "Accept-Encoding": encoding}
        pages: list[Load] = []
        statics: list[Load] = []
        for number in range(arguments.rounds):
            profile = arguments.profile if encoding == "identity" and not number else None
            turns = [(EXPLAINER, pages), (static_url, statics)]
            # Which goes first alternates, so that a machine getting busier or quieter during
            # a run favours neither.
            for url, runs in turns if number % 2 == 0 else reversed(turns):
                runs.append(
                    web.wrk(
                        server.base + url,
                        connections=WEB_CONNECTIONS,
                        seconds=arguments.seconds,
                        headers=headers,
                        warm_up=0 if number else 2,
                        profile=(
                            web.Profiling(server, profile) if profile and url == EXPLAINER else None
                        ),
                    )
                )
        rates = [page.rate / static.rate for page, static in zip(pages, statics, strict=True)]
        p99s = [page.p99 / static.p99 for page, static in zip(pages, statics, strict=True)]
        if encoding == "identity":
            what = f"explainer page ({size / 1024:.1f} KiB), {WEB_CONNECTIONS} connections"
        else:
            what = f"explainer page, gzip as browsers ask, {WEB_CONNECTIONS} connections"
        rounds = f"median of {arguments.rounds} rounds"
        rows += [
            Row(
                f"{what}: requests/s ({rounds})",
                f"{median([page.rate for page in pages]):.0f}",
                f"static file of the same bytes: {median([s.rate for s in statics]):.0f}",
                target(median(rates), at_least=EXPLAINER_RATE_TARGET),
            ),
            Row(
                f"{what}: p99 ({rounds})",
                ms(median([page.p99 for page in pages])),
                f"static file: {ms(median([s.p99 for s in statics]))}",
                target(median(p99s), at_most=EXPLAINER_P99_TARGET),
            ),
            Row(
                f"{what}: ratios in each round (requests/s; p99)",
                ", ".join(f"{r:.2f}x" for r in rates) + "; " + ", ".join(f"{r:.2f}x" for r in p99s),
            ),
        ]
    rows.append(
        Row(
            "explainer and static file runs: load average at their start, at their end",
            f"{load_before:.1f}, {os.getloadavg()[0]:.1f}",
        )
    )
    # A returning reader's browser asks whether its copy is still current (rights/pages.py).
    etag = page_headers.get("ETag", "")
    if not etag:  # the code before issue 16
        return rows
    revalidation = web.wrk(
        server.base + EXPLAINER,
        connections=WEB_CONNECTIONS,
        seconds=arguments.seconds,
        headers={**web.PROXY_HEADERS, "If-None-Match": etag},
        expected_status=304,
    )
    rows.append(
        Row(
            f"explainer page revalidated (If-None-Match, 304), {WEB_CONNECTIONS} connections: "
            "requests/s; p99",
            f"{revalidation.rate:.0f}; {ms(revalidation.p99)}",
        )
    )
    return rows


# --- The caseworker pages against a signed-in staff page (issue 16) ------------------------------

# The baseline: a signed-in staff page that opens no case. A caseworker can GET three pages (the
# queue, a case page and the code of conduct; the others are coordinators' or take a POST, such
# as the availability switch). The code of conduct goes through the same middleware as the other
# two (session, CSRF, authentication, allauth, MFA, the staff key cookie), reads the same staff
# profile and renders the same staff layout with a form and its CSRF token, but reads no case,
# opens no key and writes no audit entry: what the queue and a case page cost beyond it is their
# own work.
BASELINE_PAGE = "/caseworker/conduct/"
QUEUE_PAGE = "/caseworker/"
QUEUE_PAGE_SIZE = 50  # rows on a queue page (intake/caseworker_views.py)
# Issue 16: requests/s at 4 connections with 10,000 cases before it ("today"), the gain wanted,
# and each page within 2x of the baseline's requests/s.
QUEUE_TODAY, QUEUE_GAIN = 31, 3.0
CASE_TODAY, CASE_GAIN = 58, 2.5
WITHIN_BASELINE = 0.5


@dataclass(frozen=True)
class Run:
    """One wrk run of one page, and the CPU the server used meanwhile."""

    load: Load
    web_cpu: float  # seconds, all gunicorn workers
    database_cpu: float  # seconds, the PostgreSQL backends of the bench's database


@dataclass(frozen=True)
class Turns:
    """One page measured in turns with others: its runs, and what one request of it reads."""

    path: str
    runs: list[Run]
    queries: int
    listed: int
    cases_in_database: int

    @property
    def rate(self) -> float:
        return median([run.load.rate for run in self.runs])

    @property
    def p50(self) -> float:
        return median([run.load.p50 for run in self.runs])

    @property
    def p95(self) -> float:
        return median([run.load.p95 for run in self.runs])

    @property
    def p99(self) -> float:
        return median([run.load.p99 for run in self.runs])

    @property
    def load(self) -> Load:
        """The run with the median requests/s."""
        return sorted(self.runs, key=lambda run: run.load.rate)[len(self.runs) // 2].load

    def cpu_ms(self, which: str) -> float:
        """CPU milliseconds per request, over all runs: "web" or "database"."""
        used = sum(run.web_cpu if which == "web" else run.database_cpu for run in self.runs)
        return 1000 * used / sum(run.load.requests for run in self.runs)

    def ratios(self, baseline: "Turns") -> list[float]:
        """Requests/s against the baseline's, round by round (each pair minutes apart at most)."""
        return [
            run.load.rate / other.load.rate
            for run, other in zip(self.runs, baseline.runs, strict=True)
        ]


def database_backends() -> list[int]:
    """The process ids of the PostgreSQL backends connected to the bench's database (gunicorn's,
    and the Celery workers' in the whole run), except this process's own."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [pid for (pid,) in cursor.fetchall()]


def check_page(port: int, cookies: dict[str, str], path: str) -> str:
    """The page as the signed-in caseworker gets it (200, or the bench stops)."""
    from bench import web

    browser = web.Browser(port, dict(cookies))
    status, _, content = browser.get(path)
    browser.close()
    web.expect(status, 200, path, content)
    return content


def listed_cases(content: str) -> int:
    return len(set(re.findall(r'href="/caseworker/cases/([0-9a-f-]{36})/"', content)))


def staff_turns(
    server: Gunicorn, cookies: dict[str, str], pages: dict[str, str], *, rounds: int, seconds: int
) -> dict[str, Turns]:
    """Each of `pages` ({name: path}) loaded with wrk, `rounds` times, taking turns (in each round
    a different page goes first, so that a machine getting busier or quieter favours none), with
    the CPU the gunicorn workers and the database used during each run."""
    from bench import web
    from intake.models import Case

    contents = {name: check_page(server.port, cookies, path) for name, path in pages.items()}
    headers = {
        **web.PROXY_HEADERS,
        "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
    }
    names = list(pages)
    runs: dict[str, list[Run]] = {name: [] for name in names}
    for number in range(rounds):
        for name in names[number % len(names) :] + names[: number % len(names)]:
            if number == 0:
                # Not counted: each worker's first requests fill its caches.
                web.wrk(
                    server.base + pages[name],
                    connections=STAFF_CONNECTIONS,
                    seconds=2,
                    headers=headers,
                    warm_up=0,
                )
            workers = server.workers()
            backends = database_backends()
            web_before, database_before = web.cpu_seconds(workers), web.cpu_seconds(backends)
            load = web.wrk(
                server.base + pages[name],
                connections=STAFF_CONNECTIONS,
                seconds=seconds,
                headers=headers,
                warm_up=0,
            )
            web_after = web.cpu_seconds(server.workers())
            database_after = web.cpu_seconds(sorted({*backends, *database_backends()}))
            runs[name].append(
                Run(
                    load,
                    web.cpu_used(web_before, web_after),
                    web.cpu_used(database_before, database_after),
                )
            )
    measured = {}
    for name, path in pages.items():
        # wrk counts a redirect as a success: make sure the login held to the end.
        check_page(server.port, cookies, path)
        measured[name] = Turns(
            path=path,
            runs=runs[name],
            queries=queries_per_page(cookies, path),
            listed=listed_cases(contents[name]),
            cases_in_database=Case.objects.count(),
        )
    return measured


def caseworker_rows(measured: dict[str, Turns], rounds: int) -> list[Row]:
    """Issue 16's caseworker figures: the queue and a case page against the baseline page, and
    against the requests/s of the run before the issue."""
    baseline, queue, case = measured["baseline"], measured["queue"], measured["case"]
    connections = f"{STAFF_CONNECTIONS} connections"
    cases = f"{queue.cases_in_database} cases in the database"
    names = {
        "baseline": f"signed-in staff page opening no case ({BASELINE_PAGE})",
        "queue": f"caseworker queue ({cases}, {queue.listed} listed)",
        "case": f"case page ({cases})",
    }
    of_rounds = f"median of {rounds} rounds"
    rows = []
    for name, turns in measured.items():
        rows.append(
            Row(
                f"{names[name]}, {connections}: requests/s ({of_rounds}); p50; p99",
                f"{turns.rate:.0f}; {ms(turns.p50)}; {ms(turns.p99)}",
            )
        )
    for name, turns, today, gain in (
        ("queue", queue, QUEUE_TODAY, QUEUE_GAIN),
        ("case", case, CASE_TODAY, CASE_GAIN),
    ):
        rows += [
            Row(
                f"{names[name]}: requests/s against the baseline page's (median of the rounds' "
                "ratios)",
                f"{turns.rate:.0f}",
                f"{names['baseline']}: {baseline.rate:.0f}",
                target(median(turns.ratios(baseline)), at_least=WITHIN_BASELINE),
            ),
            Row(
                f"{names[name]}: requests/s against issue 16's today",
                f"{turns.rate:.0f}",
                f"before issue 16: {today}",
                target(turns.rate / today, at_least=gain),
            ),
        ]
    rows += [
        Row(
            "each round's ratio to the baseline page (queue; case page)",
            ", ".join(f"{r:.2f}x" for r in queue.ratios(baseline))
            + "; "
            + ", ".join(f"{r:.2f}x" for r in case.ratios(baseline)),
        ),
        Row(
            "CPU per request: gunicorn workers; PostgreSQL (baseline page, queue, case page)",
            ", ".join(
                f"{turns.cpu_ms('web'):.1f}; {turns.cpu_ms('database'):.1f} ms"
                for turns in measured.values()
            ),
        ),
        Row(
            "SQL queries per request (baseline page, queue, case page)",
            ", ".join(str(turns.queries) for turns in measured.values()),
        ),
    ]
    return rows


def caseworker_profiles(
    server: Gunicorn, cookies: dict[str, str], pages: dict[str, str], folder: Path, seconds: int
) -> None:
    """py-spy on each gunicorn worker during one more wrk run of each page and kind: "cpu" (only
    the thread holding the GIL) and "wall" (every thread, waiting ones too: the database, the
    audit log's lock), each as flame graphs and as collapsed stacks. Not counted in any figure."""
    from bench import web

    headers = {
        **web.PROXY_HEADERS,
        "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
    }
    for name, path in pages.items():
        for kind, gil, idle in (("cpu", True, False), ("wall", False, True)):
            for output in ("flamegraph", "raw"):
                web.wrk(
                    server.base + path,
                    connections=STAFF_CONNECTIONS,
                    seconds=seconds,
                    headers=headers,
                    warm_up=0,
                    profile=web.Profiling(
                        server, folder, f"{name}-{kind}", format=output, gil=gil, idle=idle
                    ),
                )
    print(f"profiles written to {folder}")


def fill_database(template: "Case", profile: "StaffProfile", total: int) -> None:
    """Copies of `template` (bench/seed.py) until the database holds `total` cases, a full queue
    page of them for the measured caseworker and the rest for the others."""
    from django.db import connection

    from bench.seed import copy_cases
    from intake.models import Case, KeyWrap, StaffProfile

    started = time.monotonic()
    own = KeyWrap.objects.filter(recipient=profile.recipient).count()
    mine = max(0, QUEUE_PAGE_SIZE - own)
    others = list(StaffProfile.objects.exclude(pk=profile.pk))
    added = copy_cases(template, caseworkers=[profile], count=mine)
    added += copy_cases(template, caseworkers=others, count=total - Case.objects.count())
    with connection.cursor() as cursor:
        # As autovacuum would have done while the cases arrived over months. VACUUM too, not only
        # ANALYZE: otherwise autovacuum, woken by 40,000 new rows, vacuums the tables during the
        # first rounds, which then swung from 0.26x to 0.62x against the baseline page
        # (docs/performance.md, "Third round").
        cursor.execute("VACUUM (ANALYZE)")
    print(f"added {added} cases in {time.monotonic() - started:.1f} s")


def sign_in_caseworker(server: Gunicorn, login: StaffLogin) -> dict[str, str]:
    """The caseworker signs in over HTTP (password, then TOTP): the cookies of that login."""
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    from bench import web

    counter = next(iter(yield_hotp_counters_from_time()))
    code = format_hotp_value(hotp_value(login.totp_secret, counter))
    staff = web.sign_in(server.port, login.email, login.password, code)
    staff.close()
    return {k: v for k, v in staff.cookies.items() if k in ("sessionid", "staff_unlock")}


def own_case_url(login: StaffLogin) -> tuple["Case", str]:
    """A real case (not a copy: a copy opens nothing) routed to the measured caseworker."""
    from intake.models import KeyWrap, StaffProfile

    profile = StaffProfile.objects.get(user__email=login.email)
    wrap = (
        KeyWrap.objects.filter(recipient=profile.recipient)
        .select_related("case")
        .order_by("pk")
        .first()
    )
    assert wrap is not None, "no case was routed to the measured caseworker"
    return wrap.case, f"/caseworker/cases/{wrap.case.public_id}/"


def route_in_process() -> None:
    """Route every pending account in this process, batch after batch, as a Celery worker
    would (intake/routing.py), without a worker: `--only caseworker` needs cases, not figures."""
    from intake import routing
    from intake.models import RoutingJob

    pending = RoutingJob.objects.filter(state=RoutingJob.State.PENDING)
    while (case_pk := pending.values_list("case_id", flat=True).first()) is not None:
        routing.route_case(case_pk)


def caseworker_alone(arguments: argparse.Namespace, scratch: Path) -> list[Row]:
    """`--only caseworker`: real accounts routed to 16 caseworkers, the database filled to
    `--cases` with copies (a full queue page for the measured caseworker), then gunicorn as for
    the whole run and the baseline page, the queue and a case page in turns."""
    from bench import web
    from intake.models import StaffProfile

    login = prepare_staff(capacity=arguments.accounts)
    prepare_burst(arguments.accounts)
    route_in_process()
    template, case_url = own_case_url(login)
    profile = StaffProfile.objects.get(user__email=login.email)
    fill_database(template, profile, arguments.cases)
    env = {k: v for k, v in os.environ.items() if k != "ROUTING_KEY_FILE"}
    server = web.start_gunicorn(env, scratch / "gunicorn.log")
    try:
        cookies = sign_in_caseworker(server, login)
        pages = {"baseline": BASELINE_PAGE, "queue": QUEUE_PAGE, "case": case_url}
        load_before = os.getloadavg()[0]
        measured = staff_turns(
            server, cookies, pages, rounds=arguments.rounds, seconds=arguments.seconds
        )
        rows = caseworker_rows(measured, arguments.rounds)
        rows.append(
            Row(
                "caseworker runs: load average at their start, at their end",
                f"{load_before:.1f}, {os.getloadavg()[0]:.1f}",
            )
        )
        if arguments.profile:
            caseworker_profiles(server, cookies, pages, arguments.profile, arguments.seconds)
        return rows
    except Exception:
        log = (scratch / "gunicorn.log").read_text(errors="replace").splitlines()
        print("\n".join(["gunicorn's log ends:", *log[-60:]]), file=sys.stderr)
        raise
    finally:
        server.stop()


def explainer_alone(arguments: argparse.Namespace, scratch: Path) -> list[Row]:
    """`--only explainer`: gunicorn started as for the whole run, the explainer rows alone."""
    from bench import web

    static_url = copy_explainer_as_static_file(
        Path(os.environ["BENCH_STATIC_EXTRA"]), Path(os.environ["BENCH_STATIC_ROOT"])
    )
    env = {k: v for k, v in os.environ.items() if k != "ROUTING_KEY_FILE"}
    server = web.start_gunicorn(env, scratch / "gunicorn.log")
    try:
        return explainer_rows(server, static_url, arguments)
    finally:
        server.stop()


def web_rows(
    arguments: argparse.Namespace, login: StaffLogin, scratch: Path
) -> dict[str, list[Row]]:
    """The figures measured through gunicorn, by kind: "explainer", "sharing", "staff",
    "caseworker", "memory"."""
    from bench import web
    from bench.seed import copy_cases
    from intake.models import StaffProfile

    static_url = copy_explainer_as_static_file(
        Path(os.environ["BENCH_STATIC_EXTRA"]), Path(os.environ["BENCH_STATIC_ROOT"])
    )
    # The web process never holds the routing key (docs/security.md, section 2).
    env = {k: v for k, v in os.environ.items() if k != "ROUTING_KEY_FILE"}
    server = web.start_gunicorn(env, scratch / "gunicorn.log")
    try:
        web_at_start = web.largest_peak_rss_kib(server.workers())
        rows: dict[str, list[Row]] = {}

        rows["explainer"] = explainer_rows(server, static_url, arguments)

        # The caseworker signs in over HTTP (password, then TOTP); the pages are measured with
        # the cookies of that login.
        profile = StaffProfile.objects.get(user__email=login.email)
        cookies = sign_in_caseworker(server, login)
        template, case_url = own_case_url(login)
        seconds = arguments.seconds
        queue_before = measure_page(server.port, cookies, QUEUE_PAGE, seconds)
        case_before = measure_page(server.port, cookies, case_url, seconds)

        # Survivors sharing accounts, each with a 1 MB file.
        shared = web.survivors(server.port, concurrent=SURVIVORS, seconds=arguments.seconds * 2)
        wait_until_routed(timeout=120)
        what = f"sharing an account with a 1 MB file, {SURVIVORS} survivors at once"
        rows["sharing"] = [
            Row(f"{what}: Send p50", ms(percentile(shared.send, 0.50))),
            Row(f"{what}: Send p95", ms(percentile(shared.send, 0.95))),
            Row(
                f"{what}: whole path (consent, account, review, Send) p95",
                ms(percentile(shared.path, 0.95)),
            ),
            Row(
                f"{what}: accounts/s",
                f"{shared.rate:.1f} ({shared.accounts} in {shared.seconds:.0f} s)",
            ),
        ]

        # Fill the database with other caseworkers' cases (and the measured one's to a full queue
        # page), then the same pages again, in turns with a staff page that opens no case: what
        # the number of cases in the database does to them, and what they cost beyond any
        # signed-in page (issue 16).
        fill_database(template, profile, arguments.cases)
        load_before = os.getloadavg()[0]
        pages = {"baseline": BASELINE_PAGE, "queue": QUEUE_PAGE, "case": case_url}
        turns = staff_turns(server, cookies, pages, rounds=arguments.rounds, seconds=seconds)
        rows["caseworker"] = [
            *caseworker_rows(turns, arguments.rounds),
            Row(
                "caseworker runs: load average at their start, at their end",
                f"{load_before:.1f}, {os.getloadavg()[0]:.1f}",
            ),
        ]
        queue_full, case_full = turns["queue"], turns["case"]
        # Then a long queue: every case a caseworker holds is listed, closed ones included.
        copy_cases(template, caseworkers=[profile], count=LONG_QUEUE)
        queue_long = measure_page(server.port, cookies, QUEUE_PAGE, seconds)

        then = f"{queue_before.cases_in_database} cases in the database"
        full = f"{queue_full.cases_in_database} cases in the database"
        queue = f"caseworker queue ({full}, {queue_full.listed} listed)"
        case = f"case page ({full})"
        long = f"caseworker queue listing {queue_long.listed} cases"
        connections = f"{STAFF_CONNECTIONS} connections"
        rows["staff"] = [
            Row(
                f"{queue}: p95, {connections}",
                ms(queue_full.load.p95),
                f"{then}, {queue_before.listed} listed: {ms(queue_before.load.p95)}",
                ratio(queue_full.load.p95, queue_before.load.p95),
            ),
            Row(
                f"{queue}: requests/s",
                f"{queue_full.load.rate:.0f}",
                f"{queue_before.load.rate:.0f}",
                ratio(queue_full.load.rate, queue_before.load.rate),
            ),
            Row(
                f"{queue}: SQL queries per request",
                str(queue_full.queries),
                str(queue_before.queries),
                ratio(queue_full.queries, queue_before.queries),
            ),
            Row(
                f"{case}: p95, {connections}",
                ms(case_full.load.p95),
                f"{then}: {ms(case_before.load.p95)}",
                ratio(case_full.load.p95, case_before.load.p95),
            ),
            Row(
                f"{case}: requests/s",
                f"{case_full.load.rate:.0f}",
                f"{case_before.load.rate:.0f}",
                ratio(case_full.load.rate, case_before.load.rate),
            ),
            Row(
                f"{case}: SQL queries per request",
                str(case_full.queries),
                str(case_before.queries),
                ratio(case_full.queries, case_before.queries),
            ),
            Row(
                f"{long} ({queue_long.cases_in_database} in the database): p95, {connections}",
                ms(queue_long.load.p95),
                f"listing {queue_full.listed}: {ms(queue_full.load.p95)}",
                ratio(queue_long.load.p95, queue_full.load.p95),
            ),
            Row(
                f"{long}: SQL queries per request",
                str(queue_long.queries),
                str(queue_full.queries),
                ratio(queue_long.queries, queue_full.queries),
            ),
        ]
        web_peak = web.largest_peak_rss_kib(server.workers())
        rows["memory"] = [
            Row(
                "memory: peak resident size of a web worker (largest), whole run",
                mib(web_peak),
                f"after start: {mib(web_at_start)}",
                ratio(web_peak, web_at_start),
            )
        ]
        return rows
    except Exception:
        # The server's side of whatever went wrong.
        log = (scratch / "gunicorn.log").read_text(errors="replace").splitlines()
        print("\n".join(["gunicorn's log ends:", *log[-60:]]), file=sys.stderr)
        raise
    finally:
        server.stop()


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = int(line.split()[1]) // (1024 * 1024)
    return (
        f"{platform.machine()}, {cpu}, {os.cpu_count()} cores, {memory} GiB, "
        f"Python {platform.python_version()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--accounts", type=int, help="the routing burst (500; 64 with --only caseworker)"
    )
    parser.add_argument("--bursts", type=int, default=3, help="routing bursts (median shown)")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=2, help="each Celery worker's pool")
    parser.add_argument("--seconds", type=int, default=10, help="each wrk run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="turns of the explainer and the static file, and of the caseworker pages",
    )
    parser.add_argument("--cases", type=int, default=10_000, help="cases in the full database")
    parser.add_argument(
        "--only",
        choices=["routing", "explainer", "caseworker"],
        help="measure one part only (routing: the burst and the steady figures, about 100 s; "
        "explainer: an explainer against the static file, about 60 s; caseworker: the queue "
        "and a case page against a staff page opening no case, with --cases in the database, "
        "about 3 minutes)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="with --only explainer: a folder for py-spy flame graphs of each gunicorn worker "
        "during the explainer's run (its figures then include py-spy's cost); with --only "
        "caseworker: flame graphs and collapsed stacks of each page, after the measured runs",
    )
    arguments = parser.parse_args()
    base, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not base.startswith("postgres") or not redis_url:
        sys.exit("make bench needs DATABASE_URL (PostgreSQL) and REDIS_URL")
    if arguments.profile and arguments.only not in ("explainer", "caseworker"):
        sys.exit("--profile goes with --only explainer or --only caseworker")
    if arguments.accounts is None:
        # The caseworker part needs real cases to open, not a burst to measure.
        arguments.accounts = 64 if arguments.only == "caseworker" else 500
    if arguments.only != "routing":
        from bench.web import require_wrk

        require_wrk()

    began = time.monotonic()
    # Other work on the machine skews every figure: the table says how busy it was.
    load_at_start = os.getloadavg()[0]
    database = f"portal_bench_{os.getpid()}"
    scratch = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    keys = scratch / "keys"
    keys.mkdir()
    queue = f"bench-{secrets.token_hex(4)}"
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        BENCH_STATIC_ROOT=str(scratch / "staticfiles"),
        BENCH_STATIC_EXTRA=str(scratch / "static-extra"),
        MEDIA_ROOT=str(scratch / "media"),
        DATABASE_URL=scratch_database_url(base, database),
        ROUTING_KEY_FILE=str(keys / "routing.key"),
        CELERY_QUEUE=queue,
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        RECEIPT_LOOKUP_KEY=os.environ.get("RECEIPT_LOOKUP_KEY") or secrets.token_urlsafe(50),
        MFA_SECRETS_KEY=os.environ.get("MFA_SECRETS_KEY") or secrets.token_urlsafe(50),
        # Production settings (whatever this shell has for development or tests), behind a
        # TLS-terminating proxy on loopback.
        DEBUG="0",
        STATIC_FROM_FINDERS="0",
        SECURE_SSL_REDIRECT="1",
        SECURE_PROXY_SSL_HEADER="1",
        ALLOWED_HOSTS="127.0.0.1",
        # Every survivor here comes from 127.0.0.1: the per-address limit would stop the bench
        # after five accounts.
        INTAKE_SUBMISSIONS_PER_HOUR="1000000",
        INTAKE_SUBMISSIONS_CEILING_PER_HOUR="1000000",
    )
    (scratch / "static-extra").mkdir()
    psql(base, f'CREATE DATABASE "{database}"')
    workers: list[subprocess.Popen[bytes]] = []
    try:
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v0"], check=True)
        subprocess.run(
            [*manage, "init_keys", f"--coordinators-key-file={keys / 'coordinators.key'}"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        collectstatic()
        django_setup()
        if arguments.only in ("explainer", "caseworker"):
            alone = explainer_alone if arguments.only == "explainer" else caseworker_alone
            rows = alone(arguments, scratch)
            print_table(
                f"machine: {machine()}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average "
                f"{load_at_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end",
                rows,
            )
            return
        login = prepare_staff(capacity=arguments.accounts)

        prepare_burst(arguments.accounts)
        workers = start_celery_workers(arguments, queue)

        celery_at_start = celery_memory(workers)
        routing = routing_rows(arguments.bursts)
        if arguments.only == "routing":
            print_table(f"machine: {machine()}", routing)
            return
        measured = web_rows(arguments, login, scratch)
        celery_peak = celery_memory(workers)
        from intake import audit
        from intake.models import AuditEntry

        broken = audit.verify()
        # In the order of issue 7.
        rows = [
            *measured["explainer"],
            *measured["sharing"],
            *routing,
            *measured["staff"],
            *measured["caseworker"],
            *measured["memory"],
            Row(
                "memory: peak resident size of a Celery worker's main process, whole run",
                mib(celery_peak.main),
                f"after start: {mib(celery_at_start.main)}",
                ratio(celery_peak.main, celery_at_start.main),
            ),
            Row(
                "memory: peak resident size of a Celery pool process (runs the tasks), whole run",
                mib(celery_peak.pool),
                f"after start: {mib(celery_at_start.pool)}",
                ratio(celery_peak.pool, celery_at_start.pool),
            ),
            Row(
                "audit log after the run (every case page view is audited)",
                f"{AuditEntry.objects.count()} entries, "
                + ("chain intact" if broken is None else f"CHAIN BROKEN at entry {broken.pk}"),
            ),
        ]
        web_workers = os.environ.get("WEB_CONCURRENCY", "3")
        web_threads = os.environ.get("GUNICORN_THREADS", "2")
        header = (
            f"machine: {machine()}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average "
            f"{load_at_start:.1f} at the start, "
            f"{os.getloadavg()[0]:.1f} at the end\n"
            f"gunicorn: gunicorn.conf.py ({web_workers} workers x {web_threads} threads); Celery: "
            f"{arguments.workers} workers x {arguments.concurrency}; 16 caseworkers; wrk runs of "
            f"{arguments.seconds} s; whole bench {time.monotonic() - began:.0f} s"
        )
        print_table(header, rows)
        results = ROOT / "var" / "bench.json"
        results.parent.mkdir(exist_ok=True)
        results.write_text(
            json.dumps(
                {
                    "measured": datetime.now(UTC).isoformat(timespec="seconds"),
                    "header": header,
                    "rows": [row.__dict__ for row in rows],
                },
                indent=1,
            )
        )
        print(f"\n(also written to {results.relative_to(ROOT)})")
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        psql(base, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
