"""docker-compose.yml describes production: Caddy in front, least privilege for every service,
healthchecks, the onion profile (issue 14). `make deploy-check` runs it for real; these tests read
the files, so that a change that breaks a promise fails in the normal suite."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
CADDYFILE = (PROJECT_ROOT / "deploy" / "Caddyfile").read_text()
TORRC = (PROJECT_ROOT / "deploy" / "tor" / "torrc").read_text()

# Which secret each service may read, and nothing else.
SECRETS_BY_SERVICE = {
    "caddy": set(),
    "postgres": {"db_owner_password"},
    "redis": {"redis_password"},
    "migrate": {"db_owner_password", "db_runtime_password"},
    "web": {
        "secret_key",
        "receipt_lookup_key",
        "mfa_secrets_key",
        "db_runtime_password",
        "redis_password",
        "package_signing_key",
    },
    "worker": {
        "routing_key",
        "audit_checkpoint_key",
        "db_runtime_password",
        "redis_password",
        "smtp_password",
    },
    "beat": {"redis_password"},
    "tor": set(),
}
PORTAL_SERVICES = ("migrate", "web", "worker", "beat")


def environment(service: str) -> dict[str, str]:
    return dict(SERVICES[service].get("environment") or {})


def env_files(service: str) -> list[str]:
    files = SERVICES[service].get("env_file") or []
    return [files] if isinstance(files, str) else list(files)


def test_it_runs_every_production_service() -> None:
    assert set(SERVICES) == set(SECRETS_BY_SERVICE)
    assert SERVICES["web"]["command"][0] == "gunicorn"
    assert SERVICES["worker"]["command"][:4] == ["celery", "-A", "portal", "worker"]
    assert SERVICES["beat"]["command"][:4] == ["celery", "-A", "portal", "beat"]
    assert SERVICES["tor"]["profiles"] == ["onion"]


def test_each_service_gets_only_the_secrets_it_needs() -> None:
    given = {name: set(service.get("secrets") or []) for name, service in SERVICES.items()}
    assert given == SECRETS_BY_SERVICE
    assert set(COMPOSE["secrets"]) == set().union(*SECRETS_BY_SERVICE.values())


def test_only_the_worker_receives_the_routing_private_key_and_the_smtp_password() -> None:
    for name, service in SERVICES.items():
        secrets = service.get("secrets") or []
        assert ("routing_key" in secrets) == (name == "worker"), name
        assert ("smtp_password" in secrets) == (name == "worker"), name
    assert environment("worker")["ROUTING_KEY_FILE"] == "/run/secrets/routing_key"
    assert environment("worker")["EMAIL_HOST_PASSWORD_FILE"] == "/run/secrets/smtp_password"
    assert COMPOSE["secrets"]["routing_key"]["file"] == "./secrets/routing.key"


def volumes(service: str) -> list[str]:
    return [str(volume) for volume in SERVICES[service].get("volumes") or []]


def test_only_the_worker_signs_audit_checkpoints_into_a_volume_of_their_own() -> None:
    """docs/security.md, section 6: the checkpoint key is outside the database and outside web;
    the checkpoints go to a volume (the containers are read-only) that the backup holds."""
    for name, service in SERVICES.items():
        given = service.get("secrets") or []
        assert ("audit_checkpoint_key" in given) == (name == "worker"), name
        assert ("AUDIT_CHECKPOINT_KEY_FILE" in environment(name)) == (name == "worker"), name
    worker = environment("worker")
    assert worker["AUDIT_CHECKPOINT_KEY_FILE"] == "/run/secrets/audit_checkpoint_key"
    assert COMPOSE["secrets"]["audit_checkpoint_key"]["file"] == "./secrets/audit_checkpoint.key"
    assert worker["AUDIT_CHECKPOINT_FILE"] == "/app/var/audit/checkpoints.jsonl"
    assert "audit-checkpoints" in COMPOSE["volumes"]
    # Written by the worker alone; web reads it, and the public key, for verify_audit.
    mounts = {name: [v for v in volumes(name) if "audit" in v] for name in SERVICES}
    assert mounts["worker"] == ["audit-checkpoints:/app/var/audit"]
    assert mounts["web"] == [
        "audit-checkpoints:/app/var/audit:ro",
        "./deploy/audit-checkpoint.pub:/app/deploy/audit-checkpoint.pub:ro",
    ]
    assert environment("web")["AUDIT_CHECKPOINT_PUBLIC_KEY_FILE"] == (
        "/app/deploy/audit-checkpoint.pub"
    )
    assert {name for name, found in mounts.items() if found} == {"worker", "web"}
    # The image's user owns the folder, so a new volume mounted there is writable by it.
    assert re.search(r"mkdir -p [^\n]*/app/var/audit", (PROJECT_ROOT / "Dockerfile").read_text())
    assert "init_audit_key" in (PROJECT_ROOT / "scripts" / "setup-production.sh").read_text()


def test_only_web_signs_documentation_packages() -> None:
    """docs/packages.md: caseworkers prepare packages on web, so web alone holds the signing key
    (and a seized web server could sign with it); setup-production.sh makes it once."""
    for name, service in SERVICES.items():
        given = service.get("secrets") or []
        assert ("package_signing_key" in given) == (name == "web"), name
        assert ("PACKAGE_SIGNING_KEY_FILE" in environment(name)) == (name == "web"), name
    web = environment("web")
    assert web["PACKAGE_SIGNING_KEY_FILE"] == "/run/secrets/package_signing_key"
    assert web["PACKAGE_SIGNING_PUBLIC_KEY_FILE"] == "/app/deploy/package-signing.pub"
    assert COMPOSE["secrets"]["package_signing_key"]["file"] == "./secrets/package_signing.key"
    assert "./deploy/package-signing.pub:/app/deploy/package-signing.pub:ro" in volumes("web")
    assert "init_package_key" in (PROJECT_ROOT / "scripts" / "setup-production.sh").read_text()


def test_the_backup_takes_the_checkpoints_before_the_database() -> None:
    """Every checkpoint in a backup then names entries its dump holds, so verify_audit
    --checkpoints passes after a restore (make deploy-check restores one and runs it)."""
    backup = (PROJECT_ROOT / "scripts" / "backup.sh").read_text()
    checkpoints = backup.index("tar -C /app/var/audit -cf - . | encrypt audit-checkpoints.tar.age")
    assert checkpoints < backup.index("compose exec -T postgres pg_dump")
    restore = (PROJECT_ROOT / "scripts" / "restore.sh").read_text()
    assert "decrypt audit-checkpoints.tar.age" in restore


def test_every_secret_file_a_service_reads_is_one_it_is_given() -> None:
    for name in SERVICES:
        given = set(SERVICES[name].get("secrets") or [])
        for variable, value in environment(name).items():
            if variable.endswith("_FILE") and str(value).startswith("/run/secrets/"):
                assert value.removeprefix("/run/secrets/") in given, (name, variable)


def test_secrets_are_files_never_committed_and_never_in_an_env_file() -> None:
    for secret in COMPOSE["secrets"].values():
        assert secret["file"].startswith("./secrets/")
    for path in ("secrets/routing.key", "secrets/secret_key", "deploy/portal.env",
                 "deploy/mail.env", "backups/x.tar", "coordinators.key",
                 "secrets/audit_checkpoint.key", "deploy/audit-checkpoint.pub",
                 "secrets/package_signing.key", "deploy/package-signing.pub"):  # fmt: skip
        ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=PROJECT_ROOT, check=False)
        assert ignored.returncode == 0, f"{path} must be git-ignored"
    secret_names = re.compile(r"^(\w*(SECRET|PASSWORD|KEY)\w*|DATABASE_URL|REDIS_URL)=", re.M)
    for example in ("portal.env.example", "mail.env.example"):
        text = (PROJECT_ROOT / "deploy" / example).read_text()
        assert not secret_names.search(text), example
    compose_text = (PROJECT_ROOT / "docker-compose.yml").read_text()
    assert not re.search(r"://[^/@\s]+:[^/@\s]+@", compose_text), "a password in a URL"


def test_env_files_go_only_where_they_are_needed() -> None:
    for name in ("postgres", "redis", "tor"):
        assert env_files(name) == [], name
    for name in (*PORTAL_SERVICES, "caddy"):
        assert "deploy/portal.env" in env_files(name), name
    for name in SERVICES:
        assert ("deploy/mail.env" in env_files(name)) == (name == "worker"), name


def test_processes_that_sign_nothing_get_no_signing_keys() -> None:
    keys = "SECRET_KEY,RECEIPT_LOOKUP_KEY,MFA_SECRETS_KEY"
    for name in ("migrate", "worker", "beat"):
        assert environment(name)["UNUSED_SECRETS"] == keys, name
    assert "UNUSED_SECRETS" not in environment("web")


def test_the_database_has_an_owner_for_migrations_and_a_runtime_role_for_the_rest() -> None:
    assert SERVICES["postgres"]["environment"]["POSTGRES_USER"] == "portal"
    assert environment("migrate")["DATABASE_URL"] == "postgres://portal@postgres:5432/portal"
    assert environment("migrate")["DATABASE_PASSWORD_FILE"] == "/run/secrets/db_owner_password"
    command = " ".join(SERVICES["migrate"]["command"])
    assert re.search(
        r"manage.py migrate .*&& python manage.py setup_runtime_role --role portal_app "
        r"--password-file /run/secrets/db_runtime_password",
        command,
    )
    for name in ("web", "worker", "beat"):
        assert environment(name)["DATABASE_URL"] == "postgres://portal_app@postgres:5432/portal"
    for name in ("web", "worker"):
        assert environment(name)["DATABASE_PASSWORD_FILE"] == "/run/secrets/db_runtime_password"
    assert "DATABASE_PASSWORD_FILE" not in environment("beat")  # beat never opens the database


def test_redis_requires_a_password_and_keeps_nothing_on_disk() -> None:
    # The password goes into the config file redis-server is started with, never onto its
    # command line (where `ps` would show it).
    assert SERVICES["redis"]["command"][-1] == (
        'umask 077 && printf \'requirepass "%s"\\n\' "$$(cat /run/secrets/redis_password)" '
        "> /tmp/redis.conf && exec redis-server /tmp/redis.conf --save '' --appendonly no"
    )
    assert "REDISCLI_AUTH" in SERVICES["redis"]["healthcheck"]["test"][-1]
    for name in ("web", "worker", "beat"):
        assert environment(name)["REDIS_PASSWORD_FILE"] == "/run/secrets/redis_password"


def test_only_caddy_is_published() -> None:
    for name, service in SERVICES.items():
        assert ("ports" in service) == (name == "caddy"), name
    published = {port.rsplit(":", 1)[-1] for port in SERVICES["caddy"]["ports"]}
    assert published == {"80", "443", "443/udp"}


def test_web_and_the_data_stores_have_no_way_out() -> None:
    networks = COMPOSE["networks"]
    for internal in ("frontend", "backend", "onion"):
        assert networks[internal]["internal"] is True
    assert SERVICES["postgres"]["networks"] == ["backend"]
    assert SERVICES["redis"]["networks"] == ["backend"]
    assert set(SERVICES["web"]["networks"]) == {"frontend", "backend"}
    assert set(SERVICES["caddy"]["networks"]) == {"public", "frontend", "onion"}


def test_containers_run_with_least_privilege() -> None:
    for name, service in SERVICES.items():
        assert "no-new-privileges:true" in service["security_opt"], name
    for name in (*PORTAL_SERVICES, "caddy", "redis", "tor"):
        assert SERVICES[name]["cap_drop"] == ["ALL"], name
    assert SERVICES["caddy"]["cap_add"] == ["NET_BIND_SERVICE"]
    for name in (*PORTAL_SERVICES, "caddy", "redis"):
        assert SERVICES[name]["read_only"] is True, name


def test_web_worker_and_beat_have_healthchecks_that_check_the_service() -> None:
    for name in ("web", "worker", "beat"):
        check = SERVICES[name]["healthcheck"]
        assert check["test"] == ["CMD", "python", "scripts/healthcheck.py", name]
    # Healthy within a minute of `up`: the first checks run well inside it.
    for name in ("caddy", "postgres", "redis", "web", "worker", "beat", "tor"):
        interval = int(str(SERVICES[name]["healthcheck"]["interval"]).rstrip("s"))
        assert interval <= 15, name
    assert "--scheduler=portal.beat:LivenessScheduler" in SERVICES["beat"]["command"]


def test_migrations_run_once_before_web_worker_and_beat() -> None:
    assert SERVICES["migrate"]["restart"] == "no"
    for name in ("web", "worker"):
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_production_pulls_the_official_images() -> None:
    text = (PROJECT_ROOT / "docker-compose.yml").read_text()
    defaults = dict(re.findall(r"\$\{([A-Z_]+_IMAGE):-([^}]+)\}", text))
    assert defaults == {
        "PORTAL_PYTHON_IMAGE": "python:3.12-slim-bookworm",
        "CADDY_IMAGE": "caddy:2",
        "POSTGRES_IMAGE": "postgres:17-bookworm",
        "REDIS_IMAGE": "redis:7-bookworm",
        "TOR_DEBIAN_IMAGE": "debian:trixie-slim",
    }


# --- Caddy ------------------------------------------------------------------------------------


def site_blocks() -> str:
    """The Caddyfile without its global options block."""
    return CADDYFILE.split("\n}\n", 1)[1]


def test_caddy_logs_no_client_address() -> None:
    # No access log in any site, and the error log without the request's address and headers.
    assert not re.search(r"^\s*log\b", site_blocks(), re.M)
    assert re.search(r"exclude http.log.access http.log.error http.stdlib", CADDYFILE)
    for field in ("remote_ip", "remote_port", "client_ip", "headers"):
        assert re.search(rf"request>{field} delete", CADDYFILE), field


def test_caddy_streams_bodies_up_to_the_upload_limit() -> None:
    size = re.search(r"max_size (\d+)MB", CADDYFILE)
    assert size
    limit = int(size.group(1)) * 1_000_000
    # Five files of 20 MiB and the form (up to 4 bytes a character), and not much more.
    needed = settings.INTAKE_MAX_FILES * settings.INTAKE_MAX_FILE_BYTES
    needed += 4 * settings.INTAKE_MAX_TEXT_CHARS
    assert needed < limit < needed * 1.1
    assert "request_buffers" not in CADDYFILE
    assert "buffer_requests" not in CADDYFILE


def error_pages_snippet() -> str:
    """The (error-pages) snippet: the one page Caddy serves itself (deploy/errors/)."""
    match = re.search(r"^\(error-pages\) \{\n.*?^\}\n", CADDYFILE, re.M | re.S)
    assert match
    return match.group(0)


# The headers Caddy sends with its own page, and the one line that adds HSTS to it on the
# clearnet site (never the onion's).
CADDY_HSTS = 'header Strict-Transport-Security "max-age=63072000; includeSubDomains; preload"'


def test_caddy_leaves_security_headers_to_django() -> None:
    # Everything but Caddy's own page for a body over the limit, whose headers are checked
    # against Django's below.
    rest = CADDYFILE.replace(error_pages_snippet(), "").replace(CADDY_HSTS, "")
    for header in ("Strict-Transport-Security", "Content-Security-Policy", "X-Frame-Options",
                   "Referrer-Policy", "Onion-Location", "Permissions-Policy",
                   "Cross-Origin-Opener-Policy", "X-Content-Type-Options"):  # fmt: skip
        assert header.lower() not in rest.lower(), header


@pytest.mark.django_db
def test_caddys_own_page_carries_the_headers_django_gives_every_page(
    client, production_settings
) -> None:
    declared = dict(re.findall(r'^\t\t\t([A-Z][\w-]+) "([^"]*)"$', error_pages_snippet(), re.M))
    django = client.get("/en/help/").headers
    for header in ("Content-Security-Policy", "Cross-Origin-Opener-Policy", "Permissions-Policy",
                   "Referrer-Policy", "X-Content-Type-Options", "X-Frame-Options"):  # fmt: skip
        assert declared.pop(header) == django[header], header
    assert declared == {"Cache-Control": "no-store"}
    # HSTS as production sends it, on the clearnet site's errors only.
    hsts = f"max-age={production_settings['SECURE_HSTS_SECONDS']}; includeSubDomains; preload"
    assert f'header Strict-Transport-Security "{hsts}"' == CADDY_HSTS
    public_site, onion_site = CADDYFILE.split("{$PORTAL_DOMAIN} {", 1)[1].split("http://:8080 {")
    assert CADDY_HSTS in public_site
    assert "Strict-Transport-Security" not in onion_site
    assert public_site.count("import error-pages") == onion_site.count("import error-pages") == 1


def test_caddy_answers_a_body_over_the_limit_with_a_page_in_the_paths_language() -> None:
    snippet = error_pages_snippet()
    languages = re.search(r"path_regexp language \^/\(([a-z|]+)\)/", snippet)
    assert languages
    assert languages.group(1).split("|") == [code for code, _ in settings.LANGUAGES]
    assert "rewrite @language /413.{re.language.1}.html" in snippet
    # Its title, SITE_NAME from deploy/portal.env, is filled in by Caddy's templates handler.
    assert re.search(r"^\t\ttemplates$", snippet, re.M)
    assert "deploy/portal.env" in env_files("caddy")
    assert "file_server {\n\t\t\tstatus 413" in snippet
    assert "./deploy/errors:/srv/portal-errors:ro" in SERVICES["caddy"]["volumes"]
    for code, _ in settings.LANGUAGES:
        assert (PROJECT_ROOT / "deploy" / "errors" / f"413.{code}.html").is_file(), code


def test_caddy_uses_its_own_ca_only_for_a_trial() -> None:
    assert "import tls-{$PORTAL_TLS:acme}" in CADDYFILE
    assert re.search(r"\(tls-internal\) \{\s*tls internal\s*\}", CADDYFILE)
    assert re.search(r"\(tls-acme\) \{\s*\}", CADDYFILE)


# --- Tor ------------------------------------------------------------------------------------


def test_the_onion_keys_live_in_their_own_volume() -> None:
    volumes = SERVICES["tor"]["volumes"]
    assert "tor-keys:/var/lib/tor/portal" in volumes
    assert "HiddenServiceDir /var/lib/tor/portal" in TORRC
    assert "tor-keys" in COMPOSE["volumes"]


def test_the_onion_service_defends_against_floods_with_proof_of_work() -> None:
    assert re.search(r"^HiddenServicePoWDefensesEnabled 1$", TORRC, re.M)
    assert re.search(r"^SocksPort 0$", TORRC, re.M)


def test_tor_caddy_and_compose_agree_on_the_onion_listener() -> None:
    address = SERVICES["caddy"]["networks"]["onion"]["ipv4_address"]
    assert f"HiddenServicePort 80 {address}:8080" in TORRC
    assert re.search(rf"http://:8080 \{{\s*bind {re.escape(address)}\s", CADDYFILE)
    subnet = COMPOSE["networks"]["onion"]["ipam"]["config"][0]["subnet"]
    assert address.rsplit(".", 1)[0] == subnet.rsplit(".", 1)[0]
    assert f"/dev/tcp/{address}/8080" in SERVICES["tor"]["healthcheck"]["test"][-1]


# --- The whole file ----------------------------------------------------------------------------


def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    compose = shutil.which("docker-compose")
    if compose is None:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("docker-compose is not installed (apt-get install docker-compose)")
        pytest.skip("docker-compose is not installed")
    shutil.copy(PROJECT_ROOT / "docker-compose.yml", tmp_path)
    shutil.copytree(PROJECT_ROOT / "deploy", tmp_path / "deploy")
    deploy = tmp_path / "deploy"
    for name in ("portal", "mail"):
        shutil.copy(deploy / f"{name}.env.example", deploy / f"{name}.env")
    (tmp_path / "secrets").mkdir()
    for secret in COMPOSE["secrets"].values():
        (tmp_path / secret["file"]).write_text("test\n")
    result = subprocess.run(
        [compose, "--profile", "onion", "config", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "", result.stderr
