"""`make bench`: routing figures measured against real PostgreSQL, Redis and Celery workers.

Needs DATABASE_URL (PostgreSQL; the benchmark makes and drops a scratch database next to it) and
REDIS_URL. It prepares caseworkers and a burst of accounts, then releases the burst to the broker
at once and measures, for each account, the time from its release to its assignment:

    python -m bench [--accounts 500] [--workers 2]

Results are printed as a table; docs/performance.md records them with the machine they came from.
"""

import argparse
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


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


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2)
    arguments = parser.parse_args()
    base, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not base.startswith("postgres") or not redis_url:
        sys.exit("make bench needs DATABASE_URL (PostgreSQL) and REDIS_URL")

    database = f"portal_bench_{os.getpid()}"
    keys = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    queue = f"bench-{secrets.token_hex(4)}"
    os.environ.update(
        DATABASE_URL=scratch_database_url(base, database),
        ROUTING_KEY_FILE=str(keys / "routing.key"),
        CELERY_QUEUE=queue,
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        RECEIPT_LOOKUP_KEY=os.environ.get("RECEIPT_LOOKUP_KEY") or secrets.token_urlsafe(50),
        MFA_SECRETS_KEY=os.environ.get("MFA_SECRETS_KEY") or secrets.token_urlsafe(50),
    )
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
        django_setup()
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

        from intake import actions
        from intake.models import RoutingJob, StaffProfile

        for number in range(16):
            language = ["ar", "fa", "uk", "es"][number % 4]
            user, _ = actions.invite_staff(
                email=f"bench{number}@example.org",
                role="caseworker",
                invited_by=None,
                languages=[language],
                capacity=arguments.accounts,
            )
            actions.accept_invitation(user, secrets.token_urlsafe(12))
            actions.vet_staff(StaffProfile.objects.get(user=user), by=None, note="bench")
            TOTP.activate(user, generate_totp_secret())

        from django.db import connections

        connections.close_all()
        started = time.monotonic()
        batches = [arguments.accounts // 2, arguments.accounts - arguments.accounts // 2]
        with ProcessPoolExecutor(max_workers=2) as pool:
            assert sum(pool.map(submit_batch, batches)) == arguments.accounts
        print(f"prepared {arguments.accounts} accounts in {time.monotonic() - started:.1f} s")

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

        from intake.tasks import enqueue_routing

        jobs = list(RoutingJob.objects.values_list("case_id", "urgent"))
        released = time.monotonic()
        for case_pk, urgent in jobs:
            enqueue_routing(case_pk, urgent)
        done_at: dict[int, float] = {}
        while len(done_at) < len(jobs) and time.monotonic() - released < 600:
            now = time.monotonic()
            done = RoutingJob.objects.filter(state="done").values_list("case_id", flat=True)
            for case_pk in done:
                done_at.setdefault(case_pk, now)
            time.sleep(0.02)
        latencies = [at - released for at in done_at.values()]
        total = max(latencies)
        steady = steady_latencies(count=40)
        machine = (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        )
        setup = f"{arguments.workers} workers x {arguments.concurrency}"
        print()
        print(f"machine: {machine}; {setup}; 16 caseworkers")
        print("| figure | value |")
        print("|---|---|")
        print(f"| burst of {len(jobs)} released at once: routed | {len(done_at)} of {len(jobs)} |")
        print(f"| burst: release to assignment p50 | {percentile(latencies, 0.50):.3f} s |")
        print(f"| burst: release to assignment p95 | {percentile(latencies, 0.95):.3f} s |")
        print(f"| burst: release to assignment max | {total:.3f} s |")
        print(f"| burst: throughput | {len(done_at) / total:.0f} accounts/s |")
        print(f"| one at a time: commit to assignment p50 | {percentile(steady, 0.50):.3f} s |")
        print(f"| one at a time: commit to assignment p95 | {percentile(steady, 0.95):.3f} s |")
        print(f"| one at a time: commit to assignment max | {max(steady):.3f} s |")
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        psql(base, f'DROP DATABASE IF EXISTS "{database}"')


if __name__ == "__main__":
    main()
