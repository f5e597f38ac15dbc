"""`make deploy-check`: the deployment path run for real with Docker (README, "Deployment").

On this machine, as an administrator would, with nothing mocked:

1. starts Docker's engine if none runs (Debian's docker.io and docker-compose);
2. uses the images docker-compose.yml names, or, where no registry can be reached, builds local
   stand-ins for them from Debian's packages (said loudly; production uses the real images);
3. stack A, in a copy of this checkout: `scripts/setup-production.sh localhost --onion`, then
   `docker compose up -d`, and every service healthy (how soon is reported: the aim is a
   minute; a service Docker marks unhealthy fails the check);
4. over HTTPS through Caddy (trusting its internal CA): a survivor sends an account with five
   files of 20 MiB; a body over the limit gets Caddy's own page for it (deploy/errors/), in the
   path's language, with the portal's security headers; the worker routes the account; a
   seeded caseworker signs in (password and TOTP) and reads it, and downloads a file intact;
5. the onion service: Tor made a hostname, and Caddy's onion listener, reached from the Tor
   container, answers that Host without a redirect, HSTS or Secure cookies; a client on the
   public ports that names the onion Host does not reach the portal at all;
6. signed audit checkpoints: beat's task makes the worker (alone holding the key) append one,
   it is shipped to an off-site folder and `verify_audit --checkpoints` passes with the off-site
   copies of it and of the public key;
7. `scripts/backup.sh` (age, to a key kept outside the stack), then another checkpoint, then no
   client address or user agent in any container's log, also after a proxy error;
8. stack B, empty: `scripts/restore.sh`, `docker compose up -d`, healthy within a minute; the
   receipt opens the account again, `manage.py verify_audit` passes, with the restored
   checkpoints too; the off-site checkpoint signed after the backup is reported, and once set
   aside as docs/operations.md says, a new checkpoint ships and verifies;
9. an upgrade on B (`docker compose build && docker compose up -d` after a change that brings a
   migration): the migration runs once, before the new web starts;
10. the healthchecks fail when their service does not work (a frozen worker, Redis stopped);
11. tears everything down.

Run as root (Docker). Its files and each container's log go to a new folder in /tmp, removed
when the check passes.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import secrets
import select
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# A private folder outside the checkout (no tool that walks the checkout finds the copies), for
# the stacks' copies, the backup and its key, and the logs. Kept when the check fails.
WORK = Path(tempfile.mkdtemp(prefix="portal-deploy-check-"))
STANDIN_BASE = "portal-standin/debian:trixie"
DEBIAN_MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
# The compose variables that name outside images, and the stand-in built for each
# (deploy/standins/<name>/Dockerfile; None: the Debian base itself).
STANDINS: dict[str, str | None] = {
    "PORTAL_PYTHON_IMAGE": "python",
    "POSTGRES_IMAGE": "postgres",
    "REDIS_IMAGE": "redis",
    "CADDY_IMAGE": "caddy",
    "TOR_DEBIAN_IMAGE": None,
}
SERVICES = ["caddy", "postgres", "redis", "web", "worker", "beat", "tor"]
# What docker-compose.yml's healthcheck intervals aim for (issue 14), reported; and when a
# stack that is not healthy yet counts as never becoming so.
HEALTHY_WITHIN = 60.0
GIVE_UP_AFTER = 180.0
CANARY_AGENT = f"deploy-check-agent-{secrets.token_hex(6)}"
MIB = 1024 * 1024


Completed = subprocess.CompletedProcess[bytes]


class CheckFailed(Exception):
    pass


def say(message: str) -> None:
    print(f"== {message}", flush=True)


def detail(message: str) -> None:
    print(f"   {message}", flush=True)


def check(condition: object, message: str) -> None:
    if not condition:
        raise CheckFailed(message)
    detail(f"ok: {message}")


def found(match: re.Match[str] | None, message: str) -> re.Match[str]:
    check(match, message)
    if match is None:  # for the type checker: check() raised already
        raise CheckFailed(message)
    return match


def run(
    command: list[str],
    *,
    cwd: Path | None = None,
    input: bytes | None = None,
    check: bool = True,
    timeout: float = 900,
    quiet: bool = False,
) -> subprocess.CompletedProcess[bytes]:
    # CI runs without standard input: give every command an empty one of its own.
    stdin = subprocess.DEVNULL if input is None else None
    result = subprocess.run(  # noqa: S603 (our own commands)
        command,
        cwd=cwd,
        input=input,
        stdin=stdin,
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        tail = (result.stdout + result.stderr).decode(errors="replace")[-4000:]
        raise CheckFailed(f"{' '.join(command)} failed ({result.returncode}):\n{tail}")
    if not quiet and result.returncode != 0:
        detail(f"({' '.join(command[:4])}... exited {result.returncode})")
    return result


# --- Steps and their times ------------------------------------------------------------------


TIMINGS: list[tuple[str, float]] = []


@contextmanager
def step(name: str) -> Iterator[None]:
    say(name)
    started = time.monotonic()
    yield
    elapsed = time.monotonic() - started
    TIMINGS.append((name, elapsed))
    detail(f"({elapsed:.0f} s)")


# --- Docker's engine --------------------------------------------------------------------------


def docker_answers() -> bool:
    return run(["docker", "info"], check=False, quiet=True, timeout=30).returncode == 0


def start_docker() -> "subprocess.Popen[bytes] | None":
    """Start dockerd if none answers (CI's machine starts none); return it to stop it at the end."""
    if docker_answers():
        detail("Docker's engine is running already")
        return None
    if shutil.which("dockerd") is None:
        raise CheckFailed("dockerd is missing: apt-get install docker.io docker-compose")
    log = open(WORK / "dockerd.log", "ab")  # noqa: SIM115 (open while dockerd runs)
    process = subprocess.Popen(
        ["dockerd", "--data-root", "/var/lib/docker", "--storage-driver=overlay2"],  # noqa: S607
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    for _ in range(60):
        if docker_answers():
            detail(f"started Docker's engine (pid {process.pid}, log {WORK}/dockerd.log)")
            return process
        time.sleep(1)
    raise CheckFailed(f"dockerd did not answer within 60 s ({WORK}/dockerd.log)")


def stop_docker(process: "subprocess.Popen[bytes] | None") -> None:
    if process is None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()


# --- Images ---------------------------------------------------------------------------------


def compose_image_defaults() -> dict[str, str]:
    """The official images docker-compose.yml names: ${VAR:-image} for each stand-in variable."""
    text = (ROOT / "docker-compose.yml").read_text()
    defaults = dict(re.findall(r"\$\{([A-Z_]+_IMAGE):-([^}]+)\}", text))
    missing = set(STANDINS) - set(defaults)
    if missing:
        raise CheckFailed(f"docker-compose.yml no longer names {sorted(missing)}")
    return {name: defaults[name] for name in STANDINS}


def image_present(image: str) -> bool:
    return run(["docker", "image", "inspect", image], check=False, quiet=True).returncode == 0


def build_standin_base() -> None:
    """Debian trixie, minimal, from Debian's packages (debootstrap), trusting this machine's own
    CA certificates (so that pip reaches PyPI through this machine's network, as the host does)."""
    if image_present(STANDIN_BASE):
        detail(f"{STANDIN_BASE}: present from an earlier run (reused as a cache)")
        return
    if shutil.which("debootstrap") is None:
        raise CheckFailed("debootstrap is missing: apt-get install debootstrap")
    rootfs = WORK / "rootfs"
    shutil.rmtree(rootfs, ignore_errors=True)
    detail(f"debootstrap trixie from {DEBIAN_MIRROR} (about 30 s to 3 minutes)")
    run(
        [
            "debootstrap",
            "--variant=minbase",
            "--include=ca-certificates",
            "trixie",
            str(rootfs),
            DEBIAN_MIRROR,
        ],
        timeout=1200,
    )
    extra = sorted(Path("/usr/local/share/ca-certificates").glob("*.crt"))
    for certificate in extra:
        shutil.copy(certificate, rootfs / "usr/local/share/ca-certificates" / certificate.name)
    if extra:
        run(["chroot", str(rootfs), "update-ca-certificates"])
        detail(f"the stand-ins trust this machine's CA certificates: {[c.name for c in extra]}")
    for package in (rootfs / "var/cache/apt/archives").glob("*.deb"):
        package.unlink()
    tar = subprocess.Popen(  # noqa: S603
        ["tar", "-C", str(rootfs), "-c", "."],  # noqa: S607
        stdout=subprocess.PIPE,
    )
    run(
        [
            "docker",
            "import",
            "-c",
            "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "-c",
            'CMD ["bash"]',
            "-",
            STANDIN_BASE,
        ],
        input=tar.communicate()[0],
    )
    shutil.rmtree(rootfs, ignore_errors=True)


def prepare_images() -> dict[str, str]:
    """For each outside image: the official one if it is here or can be pulled, else a stand-in.
    Returns the compose variables to set."""
    chosen: dict[str, str] = {}
    standins: list[str] = []
    for variable, official in compose_image_defaults().items():
        if (
            image_present(official)
            or run(["docker", "pull", official], check=False, quiet=True, timeout=300).returncode
            == 0
        ):
            detail(f"{official}: the official image")
            chosen[variable] = official
        else:
            standins.append(variable)
    if not standins:
        return chosen
    print(
        "\n"
        "   *** STAND-IN IMAGES ***\n"
        "   No container registry can be reached from this machine, so these images named in\n"
        "   docker-compose.yml are replaced for this check by local stand-ins built from Debian's\n"
        "   packages (deploy/standins/). Production pulls the official images.\n",
        flush=True,
    )
    build_standin_base()
    official_names = compose_image_defaults()

    def build(name: str) -> None:
        run(
            [
                "docker",
                "build",
                "--quiet",
                "--build-arg",
                f"BASE={STANDIN_BASE}",
                "-t",
                f"portal-standin/{name}",
                str(ROOT / "deploy" / "standins" / name),
            ],
            timeout=1200,
        )

    # Side by side: each mostly waits for Debian's mirror and the disk.
    with ThreadPoolExecutor() as pool:
        list(pool.map(build, [name for v in standins if (name := STANDINS[v]) is not None]))
    for variable in standins:
        name = STANDINS[variable]
        image = STANDIN_BASE if name is None else f"portal-standin/{name}"
        dockerfile = ROOT / "deploy" / "standins" / (name or "") / "Dockerfile"
        differences = _differences(dockerfile) if name else "Debian trixie, minimal"
        detail(f"STAND-IN {official_names[variable]} -> {image}: {differences}")
        chosen[variable] = image
    print()
    return chosen


def _differences(dockerfile: Path) -> str:
    """The "Differences:" sentence of a stand-in's Dockerfile, on one line."""
    text = " ".join(
        line.lstrip("# ").strip() for line in dockerfile.read_text().splitlines() if line[:1] == "#"
    )
    match = re.search(r"Differences: (.*)", text)
    return match.group(1) if match else "see its Dockerfile"


# --- One stack: a copy of this checkout, run with Compose -------------------------------------


def compose_command() -> list[str]:
    if os.environ.get("COMPOSE"):
        return os.environ["COMPOSE"].split()
    if run(["docker", "compose", "version"], check=False, quiet=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    raise CheckFailed("Docker Compose is missing: apt-get install docker-compose")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Tor on this machine must not reach the Tor network (no traffic but to package registries): it
# makes its keys and onion address and serves through Caddy, but publishes no descriptor.
TOR_OFFLINE = """\
# make deploy-check only: Tor may not contact Tor relays from this machine.
services:
  tor:
    command: ["tor", "-f", "/etc/tor/torrc", "--DisableNetwork", "1"]
"""


def purge_project(project: str) -> None:
    """Remove whatever an earlier, interrupted run left of this Compose project."""
    label = f"label=com.docker.compose.project={project}"
    for kind in ("container", "volume", "network"):
        listing = ["docker", kind, "ls", "-q", "--filter", label]
        if kind == "container":
            listing = ["docker", "ps", "-aq", "--filter", label]
        ids = run(listing, quiet=True).stdout.decode().split()
        if ids:
            remove = ["docker", kind, "rm", *(["-f"] if kind == "container" else []), *ids]
            run(remove, check=False, quiet=True)


@dataclass
class Stack:
    name: str
    images: dict[str, str]
    directory: Path = field(init=False)
    https_port: int = field(init=False)
    http_port: int = field(init=False)
    ca_file: Path | None = None

    def __post_init__(self) -> None:
        self.directory = WORK / self.name
        self.https_port = free_port()
        self.http_port = free_port()

    @property
    def project(self) -> str:
        return f"portalcheck{self.name}"

    def copy_checkout(self) -> None:
        """The checkout as committed plus uncommitted changes, without ignored files: what a
        `git clone` of this work would hold."""
        purge_project(self.project)
        shutil.rmtree(self.directory, ignore_errors=True)
        listing = run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT
        ).stdout.decode()
        for relative in filter(None, listing.split("\0")):
            source = ROOT / relative
            if source.is_file():
                target = self.directory / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        settings = [f"COMPOSE_PROJECT_NAME={self.project}"]
        settings += [f"{name}={image}" for name, image in self.images.items()]
        settings += [
            "PORTAL_BIND=127.0.0.1",
            f"PORTAL_HTTP_PORT={self.http_port}",
            f"PORTAL_HTTPS_PORT={self.https_port}",
        ]
        (self.directory / ".env").write_text("\n".join(settings) + "\n")
        (self.directory / "docker-compose.override.yml").write_text(TOR_OFFLINE)

    def compose(self, *args: str, **options: Any) -> subprocess.CompletedProcess[bytes]:
        return run([*compose_command(), *args], cwd=self.directory, **options)

    def script(self, *args: str, timeout: float = 900) -> str:
        env_compose = " ".join(compose_command())
        result = subprocess.run(  # noqa: S603
            list(args),
            stdin=subprocess.DEVNULL,
            cwd=self.directory,
            capture_output=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "COMPOSE": env_compose},
        )
        output = (result.stdout + result.stderr).decode(errors="replace")
        (WORK / f"{self.name}-{Path(args[0]).stem}.log").write_text(output)
        if result.returncode != 0:
            raise CheckFailed(f"{' '.join(args)} failed:\n{output[-4000:]}")
        return output

    def container(self, service: str) -> str:
        """The id of the service's container (not a one-off `run`), or ""."""
        labels = [
            f"label=com.docker.compose.project={self.project}",
            f"label=com.docker.compose.service={service}",
            "label=com.docker.compose.oneoff=False",
        ]
        filters = [arg for label in labels for arg in ("--filter", label)]
        ids = run(["docker", "ps", "-aq", *filters], quiet=True).stdout.decode().split()
        return ids[0] if ids else ""

    def inspect(self, service: str) -> dict[str, Any]:
        output = run(["docker", "inspect", self.container(service)]).stdout
        return dict(json.loads(output)[0])

    def health(self) -> dict[str, str]:
        states = {}
        for service in SERVICES:
            container = self.container(service)
            if not container:
                states[service] = "missing"
                continue
            state = json.loads(run(["docker", "inspect", container]).stdout)[0]["State"]
            states[service] = state.get("Health", {}).get("Status") or state["Status"]
        return states

    def wait_healthy(self, started: float) -> float:
        """Seconds from `started` (time.monotonic) until every service is healthy. A service
        that Docker marks unhealthy (three failed checks in a row) fails the check at once."""
        while True:
            states = self.health()
            elapsed = time.monotonic() - started
            if all(state == "healthy" for state in states.values()):
                return elapsed
            failing = {name: state for name, state in states.items() if state == "unhealthy"}
            if failing or elapsed > GIVE_UP_AFTER:
                raise CheckFailed(f"not healthy {elapsed:.0f} s after up -d: {states}")
            time.sleep(1)

    def up_and_wait_healthy(self, what: str = "up -d") -> None:
        started = time.monotonic()
        # Returns once migrate has finished and the other containers are started.
        self.compose("up", "-d", timeout=600)
        self.report_healthy(started, what)

    def report_healthy(self, started: float, what: str) -> None:
        elapsed = self.wait_healthy(started)
        check(True, f"all {len(SERVICES)} services healthy {elapsed:.0f} s after {what} began")
        if elapsed > HEALTHY_WITHIN:
            # Timings are noisy on a shared machine: reported, never failed.
            load = os.getloadavg()[0]
            detail(
                f"WARNING: over the {HEALTHY_WITHIN:.0f} s docker-compose.yml aims for "
                f"(load average {load:.1f} on {os.cpu_count()} cores)"
            )

    def exec(self, service: str, *command: str, **options: Any) -> Completed:
        # `docker exec` rather than `docker-compose exec`, whose Python start costs a second.
        container = self.container(service)
        if not container:
            raise CheckFailed(f"no {service} container")
        return run(["docker", "exec", container, *command], **options)

    def trust_caddy(self) -> None:
        root = self.exec("caddy", "cat", "/data/caddy/pki/authorities/local/root.crt").stdout
        self.ca_file = WORK / f"{self.name}-caddy-root.crt"
        self.ca_file.write_bytes(root)

    def browser(self) -> "Browser":
        if self.ca_file is None:
            raise CheckFailed("Caddy's CA is not trusted yet (trust_caddy)")
        return Browser(self.https_port, self.ca_file)

    def save_logs(self) -> str:
        logs = self.compose("logs", "--no-color", quiet=True, check=False).stdout.decode(
            errors="replace"
        )
        (WORK / f"{self.name}-containers.log").write_text(logs)
        return logs

    def down(self) -> None:
        self.save_logs()
        self.compose("down", "-v", "--remove-orphans", check=False, timeout=300)
        purge_project(self.project)


# --- A browser over HTTPS: cookies, CSRF tokens, forms ----------------------------------------


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def cookies(self) -> list[str]:
        return [value for key, value in self.headers if key.lower() == "set-cookie"]

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


class Browser:
    """Just enough of a browser for the portal's forms, through Caddy with its CA trusted. It
    sends what a browser sends on a same-origin form (Origin, Sec-Fetch-Site) and a canary user
    agent that no log may contain."""

    def __init__(self, port: int, ca_file: Path) -> None:
        self.port = port
        self.context = ssl.create_default_context(cafile=str(ca_file))
        self.cookies: dict[str, str] = {}

    @property
    def origin(self) -> str:
        return f"https://localhost:{self.port}"

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str = ""
    ) -> Response:
        connection = http.client.HTTPSConnection(
            "localhost", self.port, context=self.context, timeout=300
        )
        headers = {"User-Agent": CANARY_AGENT, "Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            headers.update({"Origin": self.origin, "Sec-Fetch-Site": "same-origin"})
            headers["Content-Type"] = content_type
        connection.request(method, path, body=body, headers=headers)
        raw = connection.getresponse()
        response = Response(raw.status, raw.getheaders(), raw.read())
        connection.close()
        for header in response.cookies():
            cookie: SimpleCookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def csrf_token(self, page: Response) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if not match:
            raise CheckFailed("a form without a CSRF token")
        return match.group(1)

    def post(self, path: str, fields: list[tuple[str, str]], page: Response) -> Response:
        from urllib.parse import urlencode

        fields = [("csrfmiddlewaretoken", self.csrf_token(page)), *fields]
        return self.request(
            "POST", path, urlencode(fields).encode(), "application/x-www-form-urlencoded"
        )

    def post_files(
        self,
        path: str,
        fields: list[tuple[str, str]],
        files: list[tuple[str, bytes]],
        page: Response,
    ) -> Response:
        boundary = f"deploycheck{uuid.uuid4().hex}"
        parts: list[bytes] = []
        for name, value in [("csrfmiddlewaretoken", self.csrf_token(page)), *fields]:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for filename, content in files:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; '
                f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
            )
            parts.append(content)
            parts.append(b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(
            "POST", path, b"".join(parts), f"multipart/form-data; boundary={boundary}"
        )


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238, as authenticator apps compute it (allauth: SHA-1, 30 s, 6 digits)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), "sha1").digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


# --- The checks -----------------------------------------------------------------------------


@dataclass
class Survivor:
    narrative: str
    receipt: str
    files: list[tuple[str, bytes]]
    reply: str = ""
    case_path: str = ""


def make_pdf(size: int) -> bytes:
    return b"%PDF-1.4\n" + os.urandom(size - 9)


def send_account(stack: Stack) -> Survivor:
    narrative = f"deploy-check narrative {secrets.token_hex(8)}"
    browser = stack.browser()
    consent = browser.get("/en/intake/consent/")
    check(consent.status == 200, "the consent page answers over HTTPS through Caddy")
    answers = [
        ("consent-consent_store", "on"),
        ("consent-consent_caseworker", "on"),
        ("consent-age_group", "adult"),
        ("account-narrative", narrative),
        # Persian: only the seeded caseworker dariush@demo.invalid reads it.
        ("account-preferred_language", "fa"),
    ]
    review = browser.post("/en/intake/review/", answers, consent)
    check(review.status == 200, "the review page shows the account")
    token = found(
        re.search(r'name="submission_token" value="([^"]+)"', review.text),
        "the review page carries a submission token",
    )
    files = [(f"evidence-{n}.pdf", make_pdf(20 * MIB)) for n in range(1, 6)]
    started = time.monotonic()
    sent = browser.post_files(
        "/en/intake/send/", [*answers, ("submission_token", token.group(1))], files, review
    )
    elapsed = time.monotonic() - started
    check(sent.status == 200, f"sending answered {sent.status}")
    receipt = found(
        re.search(r'id="receipt-code">([0-9 ]+)<', sent.text),
        f"an account with 5 files of 20 MiB ({len(files) * 20} MiB) went through Caddy, streamed, "
        f"and got a receipt ({elapsed:.1f} s)",
    )
    return Survivor(narrative, receipt.group(1), files)


def send_until_answered(
    stack: Stack, browser: "Browser", path: str, content_type: str, body: bytes
) -> Response:
    """POST `body` over HTTP/1.1 as `browser` would (its cookies, a same-origin form): stop
    sending as soon as the server answers (Caddy answers a body over its limit before the client
    has sent it all), then read the answer."""
    context = ssl.create_default_context(cafile=str(stack.ca_file))
    address = ("127.0.0.1", stack.https_port)
    answer = b""
    with (
        socket.create_connection(address, timeout=300) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        cookies = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
        head = (
            f"POST {path} HTTP/1.1\r\nHost: localhost:{stack.https_port}\r\n"
            f"User-Agent: {CANARY_AGENT}\r\nCookie: {cookies}\r\nOrigin: {browser.origin}\r\n"
            f"Sec-Fetch-Site: same-origin\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        tls.sendall(head.encode())
        view = memoryview(body)
        closed = False
        for start in range(0, len(body), 256 * 1024):
            if select.select([tls], [], [], 0)[0] or tls.pending():
                # Something came: the answer, or only a TLS session ticket (then go on).
                tls.settimeout(0.0)
                with suppress(ssl.SSLWantReadError, BlockingIOError):
                    chunk = tls.recv(65536)
                    answer, closed = answer + chunk, not chunk
                tls.settimeout(300)
                if answer or closed:
                    break
            try:
                tls.sendall(view[start : start + 256 * 1024])
            except OSError:
                break  # cut off: the answer may still be there to read
        while not closed:
            try:
                chunk = tls.recv(65536)
            except (OSError, ssl.SSLError):
                break
            answer, closed = answer + chunk, not chunk
    head_bytes, _, payload = answer.partition(b"\r\n\r\n")
    lines = head_bytes.decode(errors="replace").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else 0
    headers = [line.partition(": ")[::2] for line in lines[1:] if ": " in line]
    return Response(status, headers, payload)


def body_over_the_limit_gets_a_kind_page(stack: Stack) -> None:
    """Over Caddy's 110 MB cap (deploy/Caddyfile), in Persian: Caddy's own page in her language,
    with the headers Django gives every page, not a bare error."""
    browser = stack.browser()
    page = browser.get("/fa/intake/consent/")
    boundary = f"deploycheck{uuid.uuid4().hex}"
    part = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; '
        f'filename="too-big.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    token = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
        f"{browser.csrf_token(page)}\r\n"
    ).encode()
    # With the file before the token, Django's CSRF check reads the whole body to find it, so
    # only Caddy's limit can stop it.
    body = part + make_pdf(115 * 1_000_000) + b"\r\n" + token + f"--{boundary}--\r\n".encode()
    response = send_until_answered(
        stack, browser, "/fa/intake/send/", f"multipart/form-data; boundary={boundary}", body
    )
    site_name = found(
        re.search(r"^SITE_NAME=(.*)$", (stack.directory / "deploy/portal.env").read_text(), re.M),
        "deploy/portal.env names the site",
    ).group(1)
    page_file = (stack.directory / "deploy/errors/413.fa.html").read_text(encoding="utf-8")
    check(
        response.status == 413
        and response.text == page_file.replace('{{env "SITE_NAME" | html}}', site_name),
        f"Caddy stopped a 115 MB body at its 110 MB limit and answered {response.status} with "
        f"its own page for it, deploy/errors/413.fa.html (the path's language), titled "
        f"{site_name!r} alone as every survivor page is",
    )
    check(
        '<html lang="fa" dir="rtl">' in response.text
        and "۲۰" in response.text
        and "Each file can be up to 20 MB." in response.text
        and response.text.count("<section lang=") == 6,
        "which speaks Persian first, then the six other languages, and says the limits",
    )
    portal_page = page
    baseline = ("Content-Security-Policy", "Referrer-Policy", "X-Frame-Options",
                "X-Content-Type-Options", "Cross-Origin-Opener-Policy", "Permissions-Policy",
                "Strict-Transport-Security")  # fmt: skip
    same = [
        name
        for name in baseline
        if response.header(name) and response.header(name) == portal_page.header(name)
    ]
    check(len(same) == 7, f"and the security headers the portal's pages carry: {same}")
    check(
        response.header("Server") is None and not response.cookies(),
        "no Server header, no cookie",
    )
    assets = re.findall(r'(?:href|src)="([^"]+)"', response.text)
    check(
        assets and all(a.startswith("/") and not a.startswith("//") for a in assets),
        f"it loads only this site's own files: {sorted(set(assets))}",
    )
    browser = stack.browser()
    check(
        all(browser.get(a).status == 200 for a in assets if a.startswith("/static/")),
        "which the portal serves (its style sheet, icon and quick-exit script)",
    )


# The TOTP time step each secret last signed in with: allauth refuses a code used once already.
TOTP_STEPS_USED: dict[str, int] = {}


def caseworker_session(stack: Stack, account: dict[str, str]) -> Browser:
    secret = account["totp_secret"]
    while int(time.time() // 30) == TOTP_STEPS_USED.get(secret):
        time.sleep(1)  # a new code comes with the next 30-second step
    browser = stack.browser()
    login = browser.get("/accounts/login/")
    response = browser.post(
        "/accounts/login/", [("login", account["email"]), ("password", account["password"])], login
    )
    location = response.header("Location") or ""
    check(
        response.status == 302 and "/accounts/2fa/authenticate/" in location,
        "a caseworker's password is accepted and the second factor asked for",
    )
    second = browser.get(location)
    now = time.time()
    TOTP_STEPS_USED[secret] = int(now // 30)
    response = browser.post(location, [("code", totp(secret, now))], second)
    check(response.status == 302, "the TOTP code signs the caseworker in")
    return browser


def caseworker_downloads_intact(browser: Browser, case: Response, survivor: Survivor) -> None:
    file_link = r'href="(/caseworker/cases/[0-9a-f-]{36}/files/[0-9a-f-]{36}/)"'
    downloads = re.findall(file_link, case.text)
    check(len(downloads) == 5, "the caseworker sees the 5 files")
    wanted = {hashlib.sha256(content).hexdigest() for _, content in survivor.files}
    got = {hashlib.sha256(browser.get(link).body).hexdigest() for link in downloads[:2]}
    check(got <= wanted and len(got) == 2, "downloaded files are the survivor's, byte for byte")


def caseworker_reads(stack: Stack, survivor: Survivor, accounts: list[dict[str, str]]) -> None:
    dariush = next(a for a in accounts if a["email"].startswith("dariush"))
    browser = caseworker_session(stack, dariush)
    started = time.monotonic()
    match = None
    while match is None and time.monotonic() - started < 90:
        queue = browser.get("/caseworker/")
        match = re.search(r'href="(/caseworker/cases/[0-9a-f-]{36}/)"', queue.text)
        if match is None:
            time.sleep(2)
    case_path = found(
        match,
        f"the worker routed the account to the Persian-speaking caseworker "
        f"({time.monotonic() - started:.0f} s)",
    ).group(1)
    case = browser.get(case_path)
    check(
        case.status == 200 and survivor.narrative in case.text,
        "the caseworker reads the account, decrypted",
    )
    caseworker_downloads_intact(browser, case, survivor)
    survivor.case_path = case_path
    survivor.reply = f"deploy-check reply {secrets.token_hex(8)}"
    replied = browser.post(f"{case_path}reply/", [("text", survivor.reply)], case)
    check(replied.status == 302, "the caseworker replies to the survivor")


def survivor_returns(stack: Stack, survivor: Survivor) -> None:
    browser = stack.browser()
    page = browser.get("/en/intake/return/")
    response = browser.post("/en/intake/return/", [("receipt", survivor.receipt)], page)
    check(response.status == 302, "the receipt is accepted")
    account = browser.get(response.header("Location") or "/en/intake/my-account/")
    check(
        account.status == 200
        and survivor.reply in account.text
        and all(name in account.text for name, _ in survivor.files),
        "the receipt opens the survivor's account: the caseworker's reply and the 5 file names, "
        "decrypted",
    )


def clearnet_headers(stack: Stack, onion: str) -> None:
    browser = stack.browser()
    page = browser.get("/en/intake/consent/")
    check(
        page.header("Strict-Transport-Security")
        and page.header("Onion-Location") == f"http://{onion}/en/intake/consent/",
        "the clearnet site sends HSTS and Onion-Location naming the onion address",
    )
    check(
        page.cookies() and all("secure" in c.lower() for c in page.cookies()),
        "its cookies are Secure",
    )
    plain = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=30)
    plain.request("GET", "/en/", headers={"Host": "localhost", "User-Agent": CANARY_AGENT})
    redirect = plain.getresponse()
    check(
        redirect.status in (301, 308)
        and (redirect.getheader("Location") or "").startswith("https://"),
        "plain HTTP is redirected to HTTPS",
    )
    plain.close()


ONION_REQUEST = r"""
host=$(cat /var/lib/tor/portal/hostname)
exec 3<>/dev/tcp/10.254.254.2/8080
request='GET /en/intake/consent/ HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n'
printf "$request"'Connection: close\r\n\r\n' "$host" "$1" >&3
cat <&3
"""


def onion_service(stack: Stack) -> str:
    hostname = stack.exec("tor", "cat", "/var/lib/tor/portal/hostname").stdout.decode().strip()
    check(
        re.fullmatch(r"[a-z2-7]{56}\.onion", hostname),
        f"Tor made an onion address: {hostname}",
    )
    torrc = stack.exec("tor", "cat", "/etc/tor/torrc").stdout.decode()
    check("HiddenServicePoWDefensesEnabled 1" in torrc, "the proof-of-work defence is on")
    raw = stack.exec("tor", "bash", "-c", ONION_REQUEST, "onion", CANARY_AGENT).stdout.decode(
        errors="replace"
    )
    head = raw.split("\r\n\r\n", 1)[0].lower()
    status_line = head.splitlines()[0] if head else ""
    check(" 200 " in status_line, f"the portal answers the onion Host: {status_line.strip()}")
    check("location:" not in head, "no redirect to HTTPS on the onion host")
    check("strict-transport-security" not in head, "no HSTS on the onion host")
    cookies = [line for line in head.splitlines() if line.startswith("set-cookie:")]
    check(
        cookies and not any("secure" in c for c in cookies),
        "its cookies work over http://*.onion (no Secure flag)",
    )
    check("onion-location" not in head, "no Onion-Location on the onion itself")
    return hostname


def clear_web_cannot_claim_the_onion(stack: Stack, onion: str) -> None:
    """A client on the clear web that names the onion Host on the public ports does not reach
    the portal as an onion request (which would skip the HTTPS redirect, HSTS and the
    per-client rate limits: portal/onion.py, intake/ratelimit.py). Only Caddy's onion listener,
    which only Tor reaches, passes that Host on (deploy/Caddyfile)."""
    context = ssl.create_default_context(cafile=str(stack.ca_file))
    for method, path in (("GET", "/en/intake/consent/"), ("POST", "/en/intake/return/")):
        connection = http.client.HTTPSConnection(
            "localhost", stack.https_port, context=context, timeout=30
        )
        headers = {"Host": onion, "User-Agent": CANARY_AGENT}
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=b"receipt=1" if method == "POST" else None,
                           headers=headers)  # fmt: skip
        answer = connection.getresponse()
        body = answer.read()
        names = {name.lower() for name, _ in answer.getheaders()}
        connection.close()
        check(
            "content-security-policy" not in names
            and "set-cookie" not in names
            and b"csrfmiddlewaretoken" not in body
            and answer.status != 429,
            f"{method} https://localhost:{stack.https_port}{path} with Host: {onion} does not "
            f"reach the portal (Caddy answers {answer.status}, {len(body)} bytes, none of "
            "Django's headers)",
        )
    plain = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=30)
    plain.request("GET", "/en/intake/consent/", headers={"Host": onion, "User-Agent": CANARY_AGENT})
    answer = plain.getresponse()
    body = answer.read()
    names = {name.lower() for name, _ in answer.getheaders()}
    plain.close()
    check(
        "content-security-policy" not in names and b"csrfmiddlewaretoken" not in body,
        f"nor does plain HTTP on the public port 80 with that Host (Caddy answers {answer.status})",
    )


RUNTIME_ROLE = """
from django.db import DatabaseError, connection
with connection.cursor() as cursor:
    cursor.execute("SELECT current_user")
    print(cursor.fetchone()[0])
    try:
        cursor.execute("UPDATE intake_auditentry SET id = id WHERE false")
        print("may update the audit log")
    except DatabaseError as error:
        print(type(error.__cause__).__name__)
"""


def least_privilege(stack: Stack) -> None:
    noauth = stack.exec("redis", "redis-cli", "ping", check=False, quiet=True).stdout.decode()
    check("NOAUTH" in noauth, "Redis refuses a client without the password")
    role = stack.exec(
        "web", "python", "manage.py", "shell", "--no-imports", "-c", RUNTIME_ROLE
    ).stdout.decode()
    check(
        role.split() == ["portal_app", "InsufficientPrivilege"],
        f"web connects as portal_app, which may not change the audit log ({role.split()})",
    )
    worker_env = stack.exec("worker", "env").stdout.decode()
    web_env = stack.exec("web", "env").stdout.decode()
    web_secrets = stack.exec("web", "ls", "/run/secrets").stdout.decode().split()
    check(
        not {"routing_key", "smtp_password", "audit_checkpoint_key"} & set(web_secrets),
        f"web holds neither the routing key, the SMTP password nor the checkpoint key "
        f"({web_secrets})",
    )
    secret_key = stack.exec("web", "cat", "/run/secrets/secret_key").stdout.decode().strip()
    check(
        secret_key not in worker_env and secret_key not in web_env,
        "the worker does not have web's SECRET_KEY (and web reads it from a file only)",
    )


# --- Signed audit checkpoints (docs/operations.md, "Audit checkpoints") -------------------------

CHECKPOINTS = "/app/var/audit/checkpoints.jsonl"


def checkpoint_lines(stack: Stack) -> list[str]:
    """The checkpoint file, read as the runbook's off-site copy reads it (through web)."""
    output = stack.compose("exec", "-T", "web", "cat", CHECKPOINTS, check=False, quiet=True)
    return output.stdout.decode().splitlines() if output.returncode == 0 else []


def checkpoint_as_beat_does(stack: Stack) -> dict[str, Any]:
    """Send intake.tasks.checkpoint_audit from beat's container, as its hourly schedule does
    (portal/settings.py), and wait for the worker to append the signed line."""
    before = len(checkpoint_lines(stack))
    stack.exec("beat", "celery", "-A", "portal", "call", "intake.tasks.checkpoint_audit")
    started = time.monotonic()
    lines = checkpoint_lines(stack)
    while len(lines) <= before and time.monotonic() - started < 60:
        time.sleep(1)
        lines = checkpoint_lines(stack)
    check(
        len(lines) == before + 1,
        f"beat's task made the worker append one signed checkpoint to {CHECKPOINTS} "
        f"({time.monotonic() - started:.0f} s)",
    )
    fields: dict[str, Any] = json.loads(lines[-1])
    check(
        sorted(fields) == ["count", "hash", "hour", "id", "key", "sig", "v"]
        and fields["hour"].endswith(":00:00+00:00"),
        f"the line holds the head and the hour only: {fields['count']} entries up to entry "
        f"{fields['id']}, {fields['hour']}",
    )
    return fields


def ship_checkpoints(stack: Stack, offsite: Path) -> list[str]:
    """What the off-site computer does every hour (docs/operations.md): fetch the file, and keep
    it only if what it already holds is a prefix of it (the server may append, never rewrite)."""
    fetched = stack.compose("exec", "-T", "web", "cat", CHECKPOINTS).stdout
    kept = offsite / "checkpoints.jsonl"
    held = kept.read_bytes() if kept.exists() else b""
    check(fetched.startswith(held), "the off-site copy is a prefix of the server's file")
    kept.write_bytes(fetched)
    kept.chmod(0o644)
    return fetched.decode().splitlines()


def verify_with_offsite_copy(stack: Stack, offsite: Path) -> Completed:
    """`verify_audit --checkpoints` with the off-site copy of the checkpoints and of the public
    key (docs/operations.md, "Audit checkpoints")."""
    return stack.compose(
        "run", "--rm", "--no-deps", "-T", "-v", f"{offsite}:/check:ro", "web",
        "python", "manage.py", "verify_audit",
        "--checkpoints", "/check/checkpoints.jsonl", "--public-key", "/check/audit-checkpoint.pub",
        check=False, quiet=True,
    )  # fmt: skip


def audit_checkpoints_signed_shipped_and_verified(stack: Stack, offsite: Path) -> None:
    worker_secrets = stack.exec("worker", "ls", "/run/secrets").stdout.decode().split()
    check(
        "audit_checkpoint_key" in worker_secrets,
        "the worker holds the checkpoint signing key (secrets/audit_checkpoint.key)",
    )
    public = stack.directory / "deploy" / "audit-checkpoint.pub"
    check(
        public.read_text().startswith("-----BEGIN PUBLIC KEY-----"),
        "setup-production.sh left the public key in deploy/audit-checkpoint.pub",
    )
    shutil.rmtree(offsite, ignore_errors=True)
    offsite.mkdir(mode=0o755)
    shutil.copy(public, offsite / "audit-checkpoint.pub")
    (offsite / "audit-checkpoint.pub").chmod(0o644)
    checkpoint_as_beat_does(stack)
    ship_checkpoints(stack, offsite)
    verified = verify_with_offsite_copy(stack, offsite)
    output = verified.stdout.decode(errors="replace").strip() or verified.stderr.decode()
    check(
        verified.returncode == 0 and "checkpoints: 1 checked" in output,
        f"verify_audit --checkpoints passes with the off-site copies: {output.splitlines()[-1:]}",
    )


def checkpoints_after_restore(stack: Stack, offsite: Path) -> None:
    """The restore brings back the checkpoints signed before the backup: verify_audit passes.
    The off-site copy also holds one signed after the backup, of entries the restore lost: it
    is reported, and the runbook's steps set it aside (docs/operations.md, "Restore")."""
    restored = stack.exec(
        "web", "python", "manage.py", "verify_audit", "--checkpoints", CHECKPOINTS, check=False
    )
    output = (restored.stdout + restored.stderr).decode(errors="replace").strip()
    check(
        restored.returncode == 0 and "checkpoints: 1 checked" in output,
        f"verify_audit --checkpoints passes with the restored file: {output.splitlines()[-1:]}",
    )
    copy = verify_with_offsite_copy(stack, offsite)
    output = (copy.stdout + copy.stderr).decode(errors="replace")
    problems = [line for line in output.splitlines() if "checkpoint line" in line]
    check(
        copy.returncode != 0 and len(problems) == 1 and "checkpoint line 2:" in problems[0],
        "the off-site copy's checkpoint signed after the backup reports its entries missing "
        f"(expected after restoring an older backup): {problems}",
    )
    # The runbook: the restored file is a prefix of the off-site copy; the rest is set aside.
    server = stack.compose("exec", "-T", "web", "cat", CHECKPOINTS).stdout
    held = (offsite / "checkpoints.jsonl").read_bytes()
    check(held.startswith(server), "the restored file is a prefix of the off-site copy")
    (offsite / "lost-with-restore.jsonl").write_bytes(held[len(server) :])
    (offsite / "checkpoints.jsonl").write_bytes(server)
    checkpoint_as_beat_does(stack)
    ship_checkpoints(stack, offsite)
    verified = verify_with_offsite_copy(stack, offsite)
    output = verified.stdout.decode(errors="replace").strip() or verified.stderr.decode()
    check(
        verified.returncode == 0 and "checkpoints: 2 checked" in output,
        "after setting those aside, the restored portal's new checkpoint ships and verifies: "
        f"{output.splitlines()[-1:]}",
    )


def no_client_details_in_logs(stack: Stack) -> None:
    # A proxy error is where Caddy logs a request: stop web and ask for a page.
    stack.compose("stop", "web")
    failed = stack.browser().get("/en/")
    check(failed.status == 502, "with web stopped, Caddy answers 502 (and logs the error)")
    networks = stack.inspect("caddy")["NetworkSettings"]["Networks"]
    gateways = {n["Gateway"] for n in networks.values() if n.get("Gateway")}
    tor_networks = stack.inspect("tor")["NetworkSettings"]["Networks"]
    tor_addresses = {n["IPAddress"] for n in tor_networks.values() if n.get("IPAddress")}
    logs = stack.save_logs()
    check("http.log.error" in logs, "Caddy's error log has the failed request")
    for address in sorted(gateways | tor_addresses):
        pattern = rf"(?<![\d.]){re.escape(address)}(?![\d])"
        check(not re.search(pattern, logs), f"no container's log contains the client {address}")
    for needle in (CANARY_AGENT, "remote_ip", "client_ip"):
        check(needle not in logs, f"no container's log contains {needle!r}")


def backup(stack: Stack, key_file: Path) -> Path:
    recipient = run(["age-keygen", "-y", str(key_file)]).stdout.decode().strip()
    (stack.directory / "deploy" / "backup-recipients.txt").write_text(recipient + "\n")
    target = WORK / "backups"
    shutil.rmtree(target, ignore_errors=True)
    output = stack.script("scripts/backup.sh", str(target))
    files = list(target.glob("portal-*.tar"))
    summary = [line for line in output.splitlines() if line.startswith("backup:")]
    check(len(files) == 1 and summary, f"scripts/backup.sh wrote one file ({summary})")
    members = run(["tar", "-tf", str(files[0])]).stdout.decode().split()
    parts = {Path(m).name for m in members if m.endswith(".age")}
    check(
        {"database.sql.gz.age", "media.tar.age", "secrets.tar.age", "settings.tar.age",
         "tor-keys.tar.age", "audit-checkpoints.tar.age"} <= parts
        and all(m.endswith((".age", "./")) for m in members),
        f"it holds only age-encrypted parts: {sorted(parts)}",
    )  # fmt: skip
    return files[0]


def docker_time(stamp: str) -> datetime:
    """Docker's RFC 3339 times carry nanoseconds, without trailing zeros."""
    seconds, _, fraction = stamp.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{seconds}.{(fraction + '000000')[:6]}+00:00")


def upgrade_runs_migrations_once_before_web(stack: Stack) -> None:
    """`git pull && docker compose build && docker compose up -d`, the pull bringing a migration."""
    migration = stack.directory / "portal" / "migrations" / "0900_deploy_check_upgrade.py"
    latest = sorted(p.stem for p in migration.parent.glob("0*.py"))[-1]
    migration.write_text(
        "from django.db import migrations\n\n\n"
        "class Migration(migrations.Migration):\n"
        f'    dependencies = [("portal", "{latest}")]\n'
        "    operations = [migrations.RunSQL(\n"
        '        "CREATE TABLE deploy_check_upgrade (id serial PRIMARY KEY)",\n'
        '        "DROP TABLE deploy_check_upgrade")]\n'
    )
    old_web = stack.container("web")
    stack.compose("build", timeout=1200)
    up_started = time.monotonic()
    stack.compose("up", "-d", timeout=600)
    migrate = stack.inspect("migrate")
    web = stack.inspect("web")
    check(web["Id"] != old_web, "the new web container replaced the old one")
    check(
        migrate["State"]["ExitCode"] == 0
        and docker_time(migrate["State"]["FinishedAt"]) < docker_time(web["State"]["StartedAt"]),
        f"migrate finished ({migrate['State']['FinishedAt'][11:23]}) before the new web started "
        f"({web['State']['StartedAt'][11:23]})",
    )
    applied = stack.exec(
        "postgres", "psql", "-U", "portal", "-d", "portal", "-Atc",
        "SELECT count(*) FROM django_migrations WHERE name = '0900_deploy_check_upgrade'",
    ).stdout.decode().strip()  # fmt: skip
    runs = stack.compose("logs", "--no-color", "migrate", quiet=True).stdout.decode()
    check(
        applied == "1" and runs.count("Applying portal.0900_deploy_check_upgrade") == 1,
        "the new migration was applied once",
    )
    stack.report_healthy(up_started, "the upgrade's up -d")


def healthchecks_fail_when_broken(stack: Stack) -> None:
    def healthcheck(service: str) -> int:
        return stack.exec(
            service, "python", "scripts/healthcheck.py", service, check=False, quiet=True
        ).returncode

    check(
        all(healthcheck(s) == 0 for s in ("web", "worker", "beat")),
        "web, worker and beat healthchecks pass",
    )
    worker = stack.container("worker")
    run(["docker", "kill", "--signal=STOP", worker])
    try:
        check(healthcheck("worker") == 1, "a frozen worker fails its healthcheck")
    finally:
        run(["docker", "kill", "--signal=CONT", worker])
    stack.compose("stop", "redis")
    check(healthcheck("web") == 1, "with Redis stopped, web fails its healthcheck (/healthz 503)")
    check(healthcheck("beat") == 1, "with Redis stopped, beat fails its healthcheck")


def seed_staff(stack: Stack) -> list[dict[str, str]]:
    # The demo staff (intake/management/commands/seed_demo.py), made in web, which holds the keys
    # that seal their TOTP secrets. seed_demo runs only with DEBUG on: on for this one command,
    # which changes nothing it writes (the keys are read from the same files either way).
    output = stack.exec(
        "web", "sh", "-c",
        "DEBUG=1 python manage.py seed_demo --json /tmp/staff.json >/dev/null "
        "&& cat /tmp/staff.json && rm /tmp/staff.json",
    ).stdout  # fmt: skip
    accounts: list[dict[str, str]] = json.loads(output)
    check(len(accounts) >= 2, f"seeded {len(accounts)} vetted staff with TOTP")
    return accounts


def main() -> int:
    if os.geteuid() != 0:
        print("make deploy-check runs Docker: run it as root", file=sys.stderr)
        return 2
    detail(f"working folder: {WORK}")
    started = time.monotonic()
    dockerd = None
    stacks: list[Stack] = []
    try:
        with step("Docker's engine"):
            dockerd = start_docker()
        with step("images"):
            images = prepare_images()
        a = Stack("a", images)
        stacks.append(a)
        with step("stack A: scripts/setup-production.sh localhost --onion (in a copy)"):
            a.copy_checkout()
            a.script("scripts/setup-production.sh", "localhost", "--onion", timeout=1800)
        with step("stack A: docker compose up -d"):
            a.up_and_wait_healthy()
            a.trust_caddy()
        with step("stack A: HTTPS, the onion service, headers, least privilege"):
            onion = onion_service(a)
            clearnet_headers(a, onion)
            clear_web_cannot_claim_the_onion(a, onion)
            least_privilege(a)
        with step("stack A: a survivor sends an account, a caseworker reads it"):
            accounts = seed_staff(a)
            survivor = send_account(a)
            body_over_the_limit_gets_a_kind_page(a)
            caseworker_reads(a, survivor, accounts)
        offsite = WORK / "offsite"
        with step("stack A: a signed audit checkpoint, shipped off the server and verified"):
            audit_checkpoints_signed_shipped_and_verified(a, offsite)
        key_file = WORK / "backup-key.txt"
        with step("stack A: encrypted backup"):
            key_file.unlink(missing_ok=True)
            run(["age-keygen", "-o", str(key_file)])
            archive = backup(a, key_file)
        with step("stack A: after the backup, more audit entries and a checkpoint, shipped"):
            dariush = next(a for a in accounts if a["email"].startswith("dariush"))
            staff = caseworker_session(a, dariush)
            check(staff.get(survivor.case_path).status == 200, "the caseworker opens the case")
            checkpoint_as_beat_does(a)
            check(len(ship_checkpoints(a, offsite)) == 2, "the off-site copy holds 2 checkpoints")
        with step("stack A: logs keep no client address or user agent"):
            no_client_details_in_logs(a)
        with step("stack A: docker compose down -v"):
            a.down()
        b = Stack("b", images)
        stacks.append(b)
        with step("stack B: scripts/restore.sh into an empty stack"):
            b.copy_checkout()
            b.script("scripts/restore.sh", str(archive), str(key_file), timeout=1800)
        with step("stack B: docker compose up -d"):
            b.up_and_wait_healthy()
            b.trust_caddy()
        with step("stack B: the restored portal"):
            # First, while B holds exactly the restored entries: a caseworker doing on B, in the
            # same hour, what she did on A after the backup would write the very same entries.
            checkpoints_after_restore(b, offsite)
            survivor_returns(b, survivor)
            audit = b.exec("web", "python", "manage.py", "verify_audit", check=False)
            check(audit.returncode == 0, "manage.py verify_audit passes after the restore")
            # The media volume came back: the caseworker's files still open.
            staff = caseworker_session(b, dariush)
            caseworker_downloads_intact(staff, staff.get(survivor.case_path), survivor)
            restored = b.exec("tor", "cat", "/var/lib/tor/portal/hostname").stdout.decode()
            check(restored.strip() == onion, "the onion address came back with Tor's keys")
        with step("stack B: upgrade (a pulled migration, build, up -d)"):
            upgrade_runs_migrations_once_before_web(b)
        with step("stack B: healthchecks fail when their service does not work"):
            healthchecks_fail_when_broken(b)
        with step("stack B: docker compose down -v"):
            b.down()
    except CheckFailed as failure:
        print(f"\nDEPLOY CHECK FAILED: {failure}", file=sys.stderr, flush=True)
        for stack in stacks:
            stack.save_logs()
        print(f"containers' logs: {WORK}/*-containers.log", file=sys.stderr)
        if os.environ.get("KEEP_STACKS") != "1":
            for stack in stacks:
                stack.down()
        stop_docker(dockerd)
        return 1
    stop_docker(dockerd)
    shutil.rmtree(WORK, ignore_errors=True)
    total = time.monotonic() - started
    say(f"deploy check passed in {total:.0f} s")
    for name, elapsed in TIMINGS:
        detail(f"{elapsed:6.0f} s  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
