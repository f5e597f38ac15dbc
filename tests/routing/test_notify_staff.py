"""The notification task: one e-mail per person, and when the mail server fails, only those not
told yet are tried again. The mail server here is a real SMTP server on a local port (a few lines
below), which refuses one recipient once."""

import socketserver
import threading
from collections.abc import Iterator

import pytest

from intake.notifications import NOTIFICATION_SUBJECT
from intake.tasks import notify_staff
from tests.caseworker.conftest import make_persona

# Tasks run here close the database connection when they end (portal/celery.py), which a test
# transaction would not survive.
pytestmark = pytest.mark.django_db(transaction=True)


class SmtpServer(socketserver.ThreadingTCPServer):
    """Just enough SMTP for Django's backend; `refuse_once` addresses get a 550 the first time."""

    daemon_threads = True

    def __init__(self, refuse_once: set[str]) -> None:
        super().__init__(("127.0.0.1", 0), SmtpSession)
        self.refuse_once = set(refuse_once)
        self.delivered: list[str] = []  # one recipient per message: the task sends one each
        self.subjects: list[str] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class SmtpSession(socketserver.StreamRequestHandler):
    server: SmtpServer

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 test ESMTP")
        recipients: list[str] = []
        while line := self.rfile.readline().decode().rstrip("\r\n"):
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 test")
            elif verb == "RCPT":
                address = line.split("<", 1)[1].rstrip(">")
                if address in self.server.refuse_once:
                    self.server.refuse_once.discard(address)
                    self.reply("550 mailbox unavailable, try later")
                else:
                    recipients.append(address)
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go ahead")
                message = []
                while (data := self.rfile.readline().decode()) not in (".\r\n", ""):
                    message.append(data)
                self.server.delivered += recipients
                self.server.subjects += [m[9:].strip() for m in message if m.startswith("Subject:")]
                recipients = []
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:  # MAIL, RSET, NOOP
                self.reply("250 OK")


@pytest.fixture
def smtp_server(settings) -> Iterator[SmtpServer]:
    server = SmtpServer(refuse_once={"layla@example.org"})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.port, "use_tls": False, "timeout": 5},
        }
    }
    yield server
    server.shutdown()
    server.server_close()


def test_only_those_not_told_are_tried_again(smtp_server) -> None:
    people = [make_persona(f"{name}@example.org").user for name in ("amina", "layla", "dariush")]
    # throw=False: run the retry here, as a worker would run it later, instead of raising it.
    result = notify_staff.apply(args=([user.pk for user in people],), throw=False)
    assert result.successful(), result.traceback
    # Layla was refused once: she and those after her were tried again; Amina was not.
    assert smtp_server.delivered == [
        "amina@example.org",
        "layla@example.org",
        "dariush@example.org",
    ]
    assert smtp_server.subjects == [NOTIFICATION_SUBJECT] * 3
