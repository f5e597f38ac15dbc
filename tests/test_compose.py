"""docker-compose.yml describes production: the services, their commands, secrets from env files."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())


def test_it_runs_every_production_service() -> None:
    assert set(COMPOSE["services"]) == {"postgres", "redis", "migrate", "web", "worker", "beat"}
    services = COMPOSE["services"]
    assert services["web"]["command"][0] == "gunicorn"
    assert services["worker"]["command"][:4] == ["celery", "-A", "portal", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "portal", "beat"]


def test_secrets_come_from_an_uncommitted_env_file() -> None:
    text = (PROJECT_ROOT / "docker-compose.yml").read_text()
    for name in ("SECRET_KEY", "PASSWORD", "DATABASE_URL"):
        assert f"{name}=" not in text
        assert f"{name}:" not in text
    for name in ("web", "worker", "beat", "migrate", "postgres"):
        assert COMPOSE["services"][name]["env_file"] == "deploy/portal.env"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "deploy/portal.env"],
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert ignored.returncode == 0, "deploy/portal.env must be git-ignored"


def test_redis_keeps_nothing_on_disk() -> None:
    command = COMPOSE["services"]["redis"]["command"]
    assert command[command.index("--save") + 1] == ""
    assert command[command.index("--appendonly") + 1] == "no"


def test_the_web_port_is_published_on_loopback_only() -> None:
    # A TLS-terminating proxy on the host is the only way in (README, Deployment).
    assert COMPOSE["services"]["web"]["ports"] == ["127.0.0.1:8000:8000"]


def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    compose = shutil.which("docker-compose")
    if compose is None:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("docker-compose is not installed (apt-get install docker-compose)")
        pytest.skip("docker-compose is not installed")
    shutil.copy(PROJECT_ROOT / "docker-compose.yml", tmp_path)
    (tmp_path / "deploy").mkdir()
    shutil.copy(PROJECT_ROOT / "deploy" / "portal.env.example", tmp_path / "deploy" / "portal.env")
    result = subprocess.run(
        [compose, "config", "-q"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_only_the_worker_receives_the_routing_private_key() -> None:
    services = COMPOSE["services"]
    assert services["worker"]["secrets"] == ["routing_key"]
    assert services["worker"]["environment"]["ROUTING_KEY_FILE"] == "/run/secrets/routing_key"
    for name in ("web", "beat", "migrate"):
        assert "secrets" not in services[name], name
        assert "ROUTING_KEY_FILE" not in (services[name].get("environment") or {}), name
    assert COMPOSE["secrets"]["routing_key"]["file"] == "./secrets/routing.key"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "secrets/routing.key"],
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert ignored.returncode == 0, "secrets/ must be git-ignored"
