"""The containers' healthchecks (scripts/healthcheck.py) pass when the service works and fail when
it does not; beat's sign of life (portal/beat.py) follows what it hands to the broker.

`make deploy-check` runs the same checks in the real containers; these run against a live Django
server, a real Celery worker and a real (or unreachable) Redis."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery
from celery.beat import ScheduleEntry
from celery.schedules import schedule

from portal import beat
from tests.conftest import PROJECT_ROOT

HEALTHCHECK = PROJECT_ROOT / "scripts" / "healthcheck.py"


def healthcheck(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HEALTHCHECK), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# --- web --------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_web_passes_through_an_allowed_host(live_server, settings) -> None:
    settings.ALLOWED_HOSTS = ["portal.example.org"]
    result = healthcheck("web", "--url", live_server.url, ALLOWED_HOSTS="portal.example.org")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "web: ok"


@pytest.mark.django_db(transaction=True)
def test_web_fails_with_a_host_django_refuses(live_server, settings) -> None:
    # What the old healthcheck did: ask for 127.0.0.1, which production does not allow.
    settings.ALLOWED_HOSTS = ["portal.example.org"]
    result = healthcheck("web", "--url", live_server.url, ALLOWED_HOSTS="127.0.0.1")
    assert result.returncode == 1
    assert "answered 400" in result.stdout


@pytest.mark.django_db(transaction=True)
def test_web_fails_when_healthz_reports_the_broker_down(live_server, settings) -> None:
    settings.ALLOWED_HOSTS = ["portal.example.org"]
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    result = healthcheck("web", "--url", live_server.url, ALLOWED_HOSTS="portal.example.org")
    assert result.returncode == 1
    assert "answered 503" in result.stdout


def test_web_fails_when_nothing_listens() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = healthcheck("web", "--url", f"http://127.0.0.1:{port}")
    assert result.returncode == 1
    assert "unreachable" in result.stdout


# --- worker -----------------------------------------------------------------------------------


@pytest.mark.worker
def test_worker_passes_when_its_worker_answers(celery_worker, settings) -> None:
    node = celery_worker.name.replace("%h", socket.gethostname())
    result = healthcheck("worker", "--node", node, REDIS_URL=settings.REDIS_URL)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.worker
def test_worker_fails_when_its_worker_does_not_answer(celery_worker, settings) -> None:
    result = healthcheck("worker", "--node", "celery@nobody-here", REDIS_URL=settings.REDIS_URL)
    assert result.returncode == 1
    assert "did not answer" in result.stdout


def test_the_broker_password_comes_from_its_file(tmp_path: Path, monkeypatch) -> None:
    from scripts.healthcheck import broker_url

    (tmp_path / "redis_password").write_text("s3cret/+\n")
    monkeypatch.setenv("REDIS_URL", "redis://redis:6379/0")
    monkeypatch.setenv("REDIS_PASSWORD_FILE", str(tmp_path / "redis_password"))
    assert broker_url() == "redis://:s3cret%2F%2B@redis:6379/0"


# --- beat -------------------------------------------------------------------------------------


@pytest.fixture
def alive_file(tmp_path: Path, monkeypatch) -> Path:
    path = tmp_path / "beat-alive"
    monkeypatch.setattr(beat, "BEAT_ALIVE_FILE", path)
    return path


def scheduler(broker: str, tmp_path: Path) -> beat.LivenessScheduler:
    app = Celery("beat-test", broker=broker, set_as_current=False)
    app.conf.broker_connection_retry_on_startup = False
    app.conf.broker_transport_options = {"max_retries": 1}
    return beat.LivenessScheduler(app=app, schedule_filename=str(tmp_path / "schedule"))


def entry(app: Celery) -> ScheduleEntry:
    return ScheduleEntry(
        name="heartbeat", task="portal.tasks.record_heartbeat", schedule=schedule(60.0), app=app
    )


def age(path: Path) -> float:
    return time.time() - path.stat().st_mtime


def test_beat_signs_life_at_start_and_after_each_task_it_sends(
    alive_file: Path, tmp_path: Path
) -> None:
    running = scheduler("memory://", tmp_path)
    assert age(alive_file) < 5
    os.utime(alive_file, (time.time() - 600, time.time() - 600))
    running.apply_async(entry(running.app))
    assert age(alive_file) < 5


@pytest.mark.services
def test_beat_shows_no_life_when_the_broker_refuses_its_task(
    alive_file: Path, tmp_path: Path
) -> None:
    stuck = scheduler("redis://127.0.0.1:1/0", tmp_path)
    os.utime(alive_file, (time.time() - 600, time.time() - 600))
    with pytest.raises(Exception, match="Couldn't apply scheduled task"):
        stuck.apply_async(entry(stuck.app))
    assert age(alive_file) > 500


def test_beat_check_fails_without_a_recent_send(tmp_path: Path, settings) -> None:
    from scripts.healthcheck import check_beat

    path = tmp_path / "beat-alive"
    assert "has not started" in check_beat(path, beat.BEAT_ALIVE_MAX_AGE)
    path.touch()
    os.utime(path, (time.time() - 200, time.time() - 200))
    assert "sent nothing for 200 s" in check_beat(path, beat.BEAT_ALIVE_MAX_AGE)


@pytest.mark.services
def test_beat_check_needs_redis_to_answer(tmp_path: Path, settings, monkeypatch) -> None:
    from scripts.healthcheck import check_beat

    path = tmp_path / "beat-alive"
    path.touch()
    monkeypatch.delenv("REDIS_PASSWORD_FILE", raising=False)
    monkeypatch.setenv("REDIS_URL", settings.REDIS_URL)
    assert check_beat(path, beat.BEAT_ALIVE_MAX_AGE) == ""
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    assert "Redis does not answer" in check_beat(path, beat.BEAT_ALIVE_MAX_AGE)
