"""The connection to PostgreSQL breaks at the COMMIT of an account.

Between gunicorn and the shared PostgreSQL sits a small TCP proxy of this test's own. Armed, it
breaks the connection that sends the next COMMIT, either after the server has answered it (the
account is committed, but the web server never hears so) or before the COMMIT reaches the server
(nothing is committed). Either way the web server sees the same error at the same moment, so
only asking the database afterwards tells the two apart:

- committed, answer lost: the survivor gets the receipt, which opens the account, and the
  routing task is sent (the on-commit hook never ran);
- committed, answer lost, and the database unreachable afterwards: the survivor is told we
  cannot confirm it was saved, keeps the text, and the form keeps its token, so sending it again
  says it already arrived instead of saving it twice;
- COMMIT lost: the survivor is told it was NOT saved, which is true, and sending again saves it.

The same holds for what a survivor sends later (a message, information to add): a lost answer
is not reported as "NOT saved", and when nobody can tell, they are told so and warned that
sending again would add it twice.
"""

import contextlib
import socket
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pytest
from django.db import connection

from intake.models import Addition, Case, Message, RoutingJob, SubmissionToken
from tests.conftest import runtime_role
from tests.faults.conftest import (
    Page,
    Submission,
    Visitor,
    assert_received,
    assert_told_maybe_saved,
    assert_told_not_saved,
    hidden_value,
    narrative_of,
    open_with_receipt,
    review,
    send_account,
    send_reviewed,
)
from tests.routing.conftest import queued_tasks

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# The COMMIT Django sends through psycopg2: a simple-query message ("Q", its length, the text).
COMMIT = b"Q\x00\x00\x00\x0bCOMMIT\x00"
ALREADY_SENT = "This was already sent"
SMALL_PDF = b"%PDF-1.4\n" + b"evidence" * 100


@dataclass
class Link:
    """One client connection and its own connection to the server."""

    client: socket.socket
    server: socket.socket
    drop_answer: bool = False

    def cut(self) -> None:
        for end in (self.client, self.server):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()


@dataclass
class PostgresProxy:
    """Passes PostgreSQL's protocol through unchanged until told to break a COMMIT."""

    upstream: tuple[str, int]
    listener: socket.socket = field(init=False)
    fault: str = ""  # "answer" or "commit": what the next COMMIT loses
    refuse_after: bool = False
    refusing: bool = False
    commits_broken: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    links: list[Link] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    def database_url(self) -> str:
        """The test database through the proxy, as the runtime role the web process uses."""
        db, role = connection.settings_dict, runtime_role()
        # No TLS between proxy and server, so that the proxy can see the COMMIT.
        return (
            f"postgres://{role.name}:{role.password}@127.0.0.1:{self.port}/{db['NAME']}"
            "?sslmode=disable"
        )

    def break_next_commit(self, losing: str, *, then_refuse: bool = False) -> None:
        with self.lock:
            self.fault, self.refuse_after = losing, then_refuse

    def accept_again(self) -> None:
        with self.lock:
            self.refusing = False

    def close(self) -> None:
        self.listener.close()
        for link in self.links:
            link.cut()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            with self.lock:
                refusing = self.refusing
            if refusing:  # as if the server were gone: the connection ends before any answer
                client.close()
                continue
            link = Link(client, socket.create_connection(self.upstream))
            self.links.append(link)
            threading.Thread(target=self._to_server, args=(link,), daemon=True).start()
            threading.Thread(target=self._to_client, args=(link,), daemon=True).start()

    def _to_server(self, link: Link) -> None:
        with contextlib.suppress(OSError):
            while data := link.client.recv(65536):
                fault = self._take_fault() if COMMIT in data else ""
                if fault == "commit":
                    link.cut()  # the server never sees the COMMIT, and rolls back
                    return
                # Set before the COMMIT leaves, so that its answer cannot slip through.
                link.drop_answer = fault == "answer"
                link.server.sendall(data)
        link.cut()

    def _to_client(self, link: Link) -> None:
        with contextlib.suppress(OSError):
            while data := link.server.recv(65536):
                if link.drop_answer:
                    link.cut()  # the server has committed; the client never hears so
                    return
                link.client.sendall(data)
        link.cut()

    def _take_fault(self) -> str:
        with self.lock:
            fault, self.fault = self.fault, ""
            if fault:
                self.commits_broken += 1
                self.refusing = self.refuse_after
            return fault


@pytest.fixture
def proxy() -> Iterator[PostgresProxy]:
    db = connection.settings_dict
    proxy = PostgresProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    try:
        yield proxy
    finally:
        proxy.close()


def send_breaking_commit(
    proxy: PostgresProxy,
    server_url: str,
    narrative: str,
    losing: str,
    *,
    then_refuse: bool = False,
    files: Sequence[tuple[str, bytes]] = (),
) -> tuple[Visitor, dict[str, object], Page, Submission]:
    """A survivor reviews an account and sends it while the proxy breaks its COMMIT: (the
    survivor, their answers, the review page, what the server answered)."""
    survivor = Visitor(server_url)
    data, page = review(survivor, narrative)
    proxy.break_next_commit(losing, then_refuse=then_refuse)
    sent = send_reviewed(survivor, data, page, files=files)
    assert proxy.commits_broken == 1  # the fault happened, at the COMMIT
    return survivor, data, page, sent


def test_a_commit_whose_answer_is_lost_still_gives_the_receipt(
    proxy: PostgresProxy, web_server_factory, service_keys
) -> None:
    server = web_server_factory(DATABASE_URL=proxy.database_url())
    files = [("evidence.pdf", SMALL_PDF)]
    *_, sent = send_breaking_commit(
        proxy, server.url, "the answer to my commit was lost", "answer", files=files
    )
    receipt = assert_received(sent)

    opened = open_with_receipt(Visitor(server.url), receipt)
    assert opened.status == 200, opened.text[:2000]
    assert "What you shared" in opened.text
    assert "evidence.pdf" in opened.text  # its file too
    case = Case.objects.get()
    assert narrative_of(case, service_keys.coordinators) == "the answer to my commit was lost"
    # The on-commit hook never ran, so the routing task was sent after the case was found.
    assert RoutingJob.objects.get(case=case).state == RoutingJob.State.PENDING
    assert ("intake.tasks.route_case", [case.pk]) in queued_tasks(server.queue)
    assert "a COMMIT failed, but what it wrote was found afterwards" in server.log()


def test_when_nobody_can_tell_whether_it_was_saved_the_survivor_is_told_so(
    proxy: PostgresProxy, web_server_factory, service_keys, media_root
) -> None:
    server = web_server_factory(DATABASE_URL=proxy.database_url(), MEDIA_ROOT=str(media_root))
    survivor, data, page, sent = send_breaking_commit(
        proxy,
        server.url,
        "did my account arrive",
        "answer",
        then_refuse=True,
        files=[("evidence.pdf", SMALL_PDF)],
    )

    assert_told_maybe_saved(sent, files=True)  # not "NOT saved": it was saved
    told = sent.page
    # The same form, so that sending it again is recognised.
    assert hidden_value(told, "submission_token") == hidden_value(page, "submission_token")
    assert Case.objects.count() == 1  # it was in fact saved
    # Its attachment is kept on disk, not discarded with the "not saved" files.
    assert [path for path in media_root.rglob("*") if path.is_file()]

    proxy.accept_again()
    again = send_reviewed(survivor, data, told)
    assert again.page.status == 409, again.page.text[:3000]
    assert ALREADY_SENT in again.page.text
    # It never says a receipt was shown: this survivor never saw one.
    assert "receipt code was shown" not in again.page.text
    assert "If you did not see or keep the receipt code" in again.page.text
    assert Case.objects.count() == 1
    assert SubmissionToken.objects.count() == 1


def test_a_commit_that_never_reached_the_server_is_not_saved(
    proxy: PostgresProxy, web_server_factory, service_keys
) -> None:
    server = web_server_factory(DATABASE_URL=proxy.database_url())
    survivor, data, _, sent = send_breaking_commit(
        proxy, server.url, "my commit was lost on the way", "commit"
    )
    assert_told_not_saved(sent)  # true: the server rolled it back
    assert Case.objects.count() == 0
    assert RoutingJob.objects.count() == 0

    again = send_reviewed(survivor, data, sent.page)
    receipt = assert_received(again)
    assert open_with_receipt(Visitor(server.url), receipt).status == 200
    assert Case.objects.count() == 1


def signed_in_survivor(server_url: str) -> tuple[Visitor, str]:
    """A survivor who sent an account and came back with its receipt: (visitor, CSRF token)."""
    survivor = Visitor(server_url)
    receipt = assert_received(send_account(survivor, "an account to come back to"))
    page = open_with_receipt(survivor, receipt)
    assert page.status == 200, page.text[:2000]
    return survivor, hidden_value(page, "csrfmiddlewaretoken")


def test_a_message_whose_commit_answer_is_lost_is_not_reported_as_lost(
    proxy: PostgresProxy, web_server_factory, service_keys
) -> None:
    server = web_server_factory(DATABASE_URL=proxy.database_url())
    survivor, token = signed_in_survivor(server.url)
    proxy.break_next_commit("answer")
    sent = survivor.post(
        "/en/intake/my-account/message/",
        {"text": "a message for my caseworker", "csrfmiddlewaretoken": token},
    )
    assert proxy.commits_broken == 1
    assert sent.status == 302, sent.text[:3000]  # to their page, which says it was sent
    assert sent.location.endswith("?done=sent")
    assert Message.objects.count() == 1


def test_information_that_may_or_may_not_be_added_is_reported_so(
    proxy: PostgresProxy, web_server_factory, service_keys
) -> None:
    server = web_server_factory(DATABASE_URL=proxy.database_url())
    survivor, token = signed_in_survivor(server.url)
    proxy.break_next_commit("answer", then_refuse=True)
    sent = survivor.post(
        "/en/intake/my-account/add/",
        {"text": "more of what happened", "csrfmiddlewaretoken": token},
        multipart=True,
    )
    assert proxy.commits_broken == 1
    assert sent.status == 503, sent.text[:3000]
    assert "We could not confirm that what you sent was saved" in sent.text
    assert "sending it again would add it twice" in sent.text
    assert "NOT saved" not in sent.text  # it was saved: that would be false
    assert "more of what happened</textarea>" in sent.text  # still there to send again
    assert Addition.objects.count() == 1
