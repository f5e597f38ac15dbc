"""Healthchecks of the containers (docker-compose.yml): `python scripts/healthcheck.py SERVICE`.

Exit 0 when the service works, 1 when it does not, with one line saying why. Each check is small
and starts no Django, because Docker runs it every 10 to 15 seconds in every container.

- web: GET /healthz from gunicorn with a Host that ALLOWED_HOSTS accepts and the
  `X-Forwarded-Proto: https` that Caddy sends. 127.0.0.1 is no allowed host in production, so
  asking for it would only ever get Django's 400 for a bad Host. /healthz answers 503 when the
  database or Redis does not answer (portal/views.py).
- worker: this container's Celery worker answers a remote-control ping through Redis.
- beat: beat has handed a task to Redis within BEAT_ALIVE_MAX_AGE seconds (portal/beat.py), and
  Redis answers.
"""

import argparse
import os
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def allowed_host() -> str:
    """The first name in ALLOWED_HOSTS, as a client would send it."""
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = hosts[0] if hosts else "localhost"
    if host == "*":
        return "localhost"
    # ".example.org" allows example.org and its subdomains.
    return host.lstrip(".")


def broker_url() -> str:
    """REDIS_URL with the password from REDIS_PASSWORD_FILE, as portal/settings.py builds it."""
    url = os.environ.get("REDIS_URL", "")
    path = os.environ.get("REDIS_PASSWORD_FILE")
    if url and path:
        password = Path(path).read_text(encoding="utf-8").strip()
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
        url = urlunsplit(parts._replace(netloc=f":{quote(password, safe='')}@{host}"))
    return url


def check_web(base_url: str) -> str:
    if not base_url.startswith("http://"):
        return f"{base_url} is not an http:// address"
    request = urllib.request.Request(  # noqa: S310 (http only, checked above)
        f"{base_url}/healthz",
        headers={"Host": allowed_host(), "X-Forwarded-Proto": "https"},
    )
    try:
        with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310 (http only)
            body = response.read().decode()
    except urllib.error.HTTPError as exc:
        return f"/healthz answered {exc.code}"
    except OSError as exc:
        return f"/healthz unreachable: {exc}"
    if '"database": "ok"' not in body:
        return f"/healthz says {body}"
    return ""


def check_redis() -> str:
    import redis

    try:
        redis.Redis.from_url(broker_url(), socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis does not answer: {exc.__class__.__name__}"
    return ""


def check_worker(node: str) -> str:
    from celery import Celery

    app = Celery(broker=broker_url())
    try:
        # A worker that runs answers within milliseconds; a short wait keeps a failed check cheap.
        replies = app.control.ping(destination=[node], timeout=3)
    except Exception as exc:  # the broker's connection errors share no base class
        return f"cannot ping {node}: {exc.__class__.__name__}"
    finally:
        app.close()
    if not any(node in reply for reply in replies or []):
        return f"{node} did not answer a ping"
    return ""


def check_beat(alive_file: Path, max_age: float) -> str:
    try:
        age = time.time() - alive_file.stat().st_mtime
    except FileNotFoundError:
        return f"{alive_file} is missing: beat has not started"
    if age > max_age:
        return f"beat has sent nothing for {age:.0f} s"
    return check_redis()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("service", choices=["web", "worker", "beat"])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="web: gunicorn's address")
    parser.add_argument("--node", default=f"celery@{socket.gethostname()}", help="worker's name")
    args = parser.parse_args(argv)
    if args.service == "web":
        problem = check_web(args.url)
    elif args.service == "worker":
        problem = check_worker(args.node)
    else:
        sys.path.insert(0, str(PROJECT_ROOT))
        from portal.beat import BEAT_ALIVE_FILE, BEAT_ALIVE_MAX_AGE

        problem = check_beat(BEAT_ALIVE_FILE, BEAT_ALIVE_MAX_AGE)
    print(problem or f"{args.service}: ok")
    return 1 if problem else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
