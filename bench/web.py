"""The web side of `make bench`: gunicorn as in production, wrk, and survivors and caseworkers
that follow the real pages over HTTP.

Requests say `X-Forwarded-Proto: https`, as the TLS-terminating proxy in front of gunicorn does
in production (SECURE_PROXY_SSL_HEADER=1), so the portal runs with its production security
settings (HTTPS redirect, secure cookies, HSTS) on plain loopback HTTP.
"""

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
WRK_SCRIPT = Path(__file__).with_name("report.lua")
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
# py-spy's output with `--only explainer --profile`: flame graphs, or "raw" collapsed stacks (one
# line per stack, for reading with a script or loading into speedscope) with PROFILE_FORMAT=raw.
# With PROFILE_GIL=1 only the thread holding the GIL is sampled: where the CPU goes, without the
# time a worker's second thread spends waiting for the GIL (which py-spy otherwise shows in
# whatever call the thread is in, such as gunicorn's socket write). The caseworker part records
# both kinds, in both formats (bench/__main__.py, caseworker_profiles).
PROFILE_FORMAT = os.environ.get("PROFILE_FORMAT", "flamegraph")
PROFILE_GIL = os.environ.get("PROFILE_GIL", "") == "1"
# What a browser sends with a form under `Referrer-Policy: no-referrer` (portal/middleware.py).
FORM_HEADERS = {"Origin": "null", "Sec-Fetch-Site": "same-origin"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- Processes and their memory ----------------------------------------------------------------


def children(pid: int) -> list[int]:
    """The direct children of a process (gunicorn's workers, a Celery worker's pool)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name, in brackets, may hold spaces; the parent pid follows its state.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def peak_rss_kib(pid: int) -> int:
    """The process's peak resident size so far (VmHWM), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for process {pid}")


def largest_peak_rss_kib(pids: list[int]) -> int:
    return max(peak_rss_kib(pid) for pid in pids)


@dataclass
class Gunicorn:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        return children(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_gunicorn(env: dict[str, str], log: Path) -> Gunicorn:
    """gunicorn with the project's gunicorn.conf.py (its workers and threads) on a free port."""
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Gunicorn(process, port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{log.read_text(errors='replace')}")
        try:
            status, _, _ = Browser(port).get("/healthz")
            if status == 200:
                break
        except OSError:
            pass
        time.sleep(0.2)
    else:
        server.stop()
        raise RuntimeError(f"gunicorn did not answer within 60 s:\n{log.read_text()}")
    # Wait for every worker, and until they are idle: each parses the rights library before it
    # takes requests (portal/wsgi.py), which on a busy machine takes seconds, and the first
    # measured run would otherwise share the cores with the last workers starting.
    expected = _configured_workers(env)
    while len(server.workers()) < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    while time.monotonic() < deadline:
        before = {pid: cpu_ticks(pid) for pid in server.workers()}
        time.sleep(0.5)
        if all(cpu_ticks(pid) - ticks <= 2 for pid, ticks in before.items()):
            break
    return server


def cpu_ticks(pid: int) -> int:
    """The CPU time a process has used (user and system), in clock ticks."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    # After the command name: state is field 3, utime and stime are fields 14 and 15.
    return int(fields[11]) + int(fields[12])


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """The CPU time (user and system) each of these processes has used so far, in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    return {pid: cpu_ticks(pid) / tick for pid in pids}


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """The CPU seconds used between two readings of cpu_seconds; a process that started in
    between counts from zero, and readings of 0 (a process gone, or not readable) count nothing.
    """
    return sum(max(0.0, used - before.get(pid, 0.0)) for pid, used in after.items() if used)


def _configured_workers(env: dict[str, str]) -> int:
    return int(env.get("WEB_CONCURRENCY", "3"))


# --- wrk -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """What wrk measured: requests per second and latency percentiles (in seconds)."""

    requests: int
    seconds: float
    p50: float
    p95: float
    p99: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        sys.exit(
            "make bench needs wrk, the HTTP load generator: `sudo apt-get install wrk` on Debian "
            "or Ubuntu (`brew install wrk` on macOS)"
        )


def wrk(
    url: str,
    *,
    connections: int,
    seconds: int,
    headers: dict[str, str],
    warm_up: int = 2,
    profile: "Profiling | None" = None,
    expected_status: int = 0,
) -> Load:
    """Load `url` for `seconds` with `connections` open connections; fail on any error status.

    A first run of `warm_up` seconds is not counted: each worker parses templates and content on
    its first requests, which is not what a running server does.

    With `expected_status`, every response must have that status (wrk itself only counts those
    of 400 and above as errors).

    With `profile`, py-spy samples each of the server's workers during the measured run and
    writes one file per worker (the figures of that run include py-spy's own cost, so they are
    not the ones to report).
    """
    command = [
        *("wrk", "--threads", "2", "--connections", str(connections)),
        *("--timeout", "10s", "--script", str(WRK_SCRIPT)),
    ]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    if warm_up:
        warm = [*command, "--duration", f"{warm_up}s", url]
        subprocess.run(warm, capture_output=True, check=True)
    env = {**os.environ, "BENCH_EXPECTED_STATUS": str(expected_status or "")}
    command += ["--duration", f"{seconds}s"]
    profilers = start_profilers(profile, seconds) if profile else []
    result = subprocess.run([*command, url], capture_output=True, text=True, check=True, env=env)
    for profiler in profilers:
        profiler.wait(timeout=60)
    line = next(line for line in result.stdout.splitlines() if line.startswith("BENCH "))
    figures = json.loads(line.removeprefix("BENCH "))
    if figures["socket_errors"] or figures["non_2xx_3xx"] or figures["unexpected_status"]:
        raise RuntimeError(f"wrk saw errors on {url}:\n{result.stdout}")
    return Load(
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        p50=figures["p50_us"] / 1e6,
        p95=figures["p95_us"] / 1e6,
        p99=figures["p99_us"] / 1e6,
    )


@dataclass(frozen=True)
class Profiling:
    """py-spy recording each worker of `server` during a wrk run, into `folder` as
    `<name>-worker-<n>.svg` (flame graphs) or `.txt` (collapsed stacks, with format "raw").

    `gil`: only the thread holding the GIL is sampled (where the CPU goes). `idle`: threads
    waiting (for the database, a lock, a socket) are sampled too (where the time goes).
    """

    server: Gunicorn
    folder: Path
    name: str = "worker"
    format: str = PROFILE_FORMAT
    gil: bool = PROFILE_GIL
    idle: bool = False


def start_profilers(profile: Profiling, seconds: int) -> list[subprocess.Popen[bytes]]:
    """py-spy (`pip install py-spy`) recording each gunicorn worker for `seconds`."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        sys.exit("--profile needs py-spy: `.venv/bin/pip install py-spy`")
    profile.folder.mkdir(parents=True, exist_ok=True)
    suffix = "svg" if profile.format == "flamegraph" else "txt"
    prefix = "" if profile.name == "worker" else f"{profile.name}-"
    return [
        subprocess.Popen(
            [
                *(py_spy, "record", "--pid", str(pid), "--duration", str(seconds)),
                *("--rate", "250", "--nonblocking", "--format", profile.format),
                *(["--gil"] if profile.gil else []),
                *(["--idle"] if profile.idle else []),
                *("--output", str(profile.folder / f"{prefix}worker-{number}.{suffix}")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for number, pid in enumerate(profile.server.workers())
    ]


# --- A browser, just enough of one ---------------------------------------------------------------


class Forms(HTMLParser):
    """The forms of a page: their action and the name and value of every hidden field."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append((attributes.get("action", ""), []))
        elif tag == "input" and self.forms and attributes.get("type") == "hidden":
            self.forms[-1][1].append((attributes.get("name", ""), attributes.get("value", "")))

    def hidden_fields(self, action_ending: str = "") -> list[tuple[str, str]]:
        for action, fields in self.forms:
            if action.endswith(action_ending):
                return fields
        raise LookupError(f"no form posting to …{action_ending}")

    def csrf_token(self) -> str:
        return dict(self.hidden_fields())["csrfmiddlewaretoken"]


@dataclass
class Browser:
    """One visitor: a keep-alive connection to gunicorn and the cookies it was given."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    connection: http.client.HTTPConnection | None = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], str]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = {**PROXY_HEADERS, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        self.connection.request(method, path, body=body, headers=sent)
        response = self.connection.getresponse()
        content = response.read().decode()
        for header in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, dict(response.getheaders()), content

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        return self.request("GET", path)

    def post(self, path: str, fields: list[tuple[str, str]]) -> tuple[int, dict[str, str], str]:
        headers = {**FORM_HEADERS, "Content-Type": "application/x-www-form-urlencoded"}
        return self.request("POST", path, urlencode(fields).encode(), headers)

    def post_multipart(
        self, path: str, fields: list[tuple[str, str]], file: tuple[str, str, bytes, str]
    ) -> tuple[int, dict[str, str], str]:
        boundary = "bench" + os.urandom(8).hex()
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
            for name, value in fields
        ]
        field_name, file_name, content, content_type = file
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field_name}"; '
            f'filename="{file_name}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {**FORM_HEADERS, "Content-Type": f"multipart/form-data; boundary={boundary}"}
        return self.request("POST", path, b"".join(parts), headers)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def expect(status: int, wanted: int, what: str, content: str) -> None:
    if status != wanted:
        raise RuntimeError(f"{what}: HTTP {status}, expected {wanted}:\n{content[:2000]}")


# --- Survivors sharing an account ---------------------------------------------------------------

CONSENT = [
    ("consent-consent_store", "on"),
    ("consent-consent_caseworker", "on"),
    ("consent-age_group", "adult"),
]
LANGUAGES = ["ar", "fa", "uk", "es"]
NARRATIVE = (
    "They came to our street at night and took the women who had spoken at the meeting. "
) * 20


def share_account(port: int, number: int, attachment: bytes) -> tuple[float, float]:
    """One survivor's whole path, as the browser sends it: consent, the account, the review page
    and Send with one file. Returns the time of the Send request and of the whole path."""
    browser = Browser(port)
    started = time.monotonic()
    status, _, page = browser.get("/en/intake/consent/")
    expect(status, 200, "consent page", page)
    token = [("csrfmiddlewaretoken", Forms(page).csrf_token())]
    status, _, page = browser.post("/en/intake/account/", token + CONSENT)
    expect(status, 200, "account page", page)
    answers = [
        ("account-narrative", NARRATIVE),
        ("account-country", "Afghanistan"),
        ("account-harms", "threats"),
        ("account-harms", "education"),
        ("account-wants", "legal"),
        ("account-wants", "information"),
        ("account-preferred_language", LANGUAGES[number % len(LANGUAGES)]),
        ("account-caseworker_gender", "any"),
    ]
    status, _, page = browser.post("/en/intake/review/", token + CONSENT + answers)
    expect(status, 200, "review page", page)
    # The review page carries everything typed as hidden fields, and the one-time token.
    fields = Forms(page).hidden_fields("/intake/send/")
    sending = time.monotonic()
    status, _, page = browser.post_multipart(
        "/en/intake/send/", fields, ("attachments", "evidence.pdf", attachment, "application/pdf")
    )
    finished = time.monotonic()
    expect(status, 200, "sending an account", page)
    if not re.search(r'id="receipt-code">[0-9 ]+<', page):
        raise RuntimeError(f"no receipt after sending:\n{page[:2000]}")
    browser.close()
    return finished - sending, finished - started


@dataclass(frozen=True)
class Submissions:
    accounts: int
    seconds: float
    send: list[float]
    path: list[float]

    @property
    def rate(self) -> float:
        return self.accounts / self.seconds


def survivors(port: int, *, concurrent: int, seconds: float) -> Submissions:
    """`concurrent` survivors, each sharing one account after another for `seconds`."""
    attachment = b"%PDF-1.4\n" + os.urandom(1024 * 1024 - 9)
    send: list[float] = []
    path: list[float] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + seconds

    def survivor(first: int) -> None:
        number = first
        try:
            while time.monotonic() < deadline:
                send_time, path_time = share_account(port, number, attachment)
                with lock:
                    send.append(send_time)
                    path.append(path_time)
                number += concurrent
        except BaseException as failure:  # reported by the main thread
            failures.append(failure)

    threads = [threading.Thread(target=survivor, args=(n,)) for n in range(concurrent)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return Submissions(len(send), time.monotonic() - started, send, path)


# --- Caseworkers ---------------------------------------------------------------------------------


def sign_in(port: int, email: str, password: str, totp_code: str) -> Browser:
    """The real staff login over HTTP: password, then the authenticator code."""
    browser = Browser(port)
    status, _, page = browser.get("/accounts/login/")
    expect(status, 200, "login page", page)
    fields = [("csrfmiddlewaretoken", Forms(page).csrf_token())]
    status, headers, page = browser.post(
        "/accounts/login/", [*fields, ("login", email), ("password", password)]
    )
    expect(status, 302, "signing in", page)
    second_step = headers["Location"]
    status, _, page = browser.get(second_step)
    expect(status, 200, "second factor page", page)
    fields = [("csrfmiddlewaretoken", Forms(page).csrf_token())]
    status, _, page = browser.post(second_step, [*fields, ("code", totp_code)])
    expect(status, 302, "second factor", page)
    return browser
