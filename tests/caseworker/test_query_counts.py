"""The caseworker's queue and case page make as many SQL queries with 30 cases as with one.

docs/performance.md claims the query count of these pages does not grow with the number of cases
(`make bench` measures them with 10,000 in the database); this is the test behind that claim.
"""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.seed import copy_cases
from intake import actions
from intake.models import Case
from tests.caseworker.conftest import sign_in
from tests.conftest import routing_case_key
from tests.intake.conftest import PDF, account_data, send, upload

pytestmark = pytest.mark.django_db


def page_queries(client: Client, url: str) -> tuple[int, str]:
    """The SQL queries of one request for `url` (after a first request, so that per-process
    caches filled on first use are not counted), and the page."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def listed(page: str) -> int:
    return len(set(re.findall(r'href="/caseworker/cases/([0-9a-f-]{36})/"', page)))


def test_queue_and_case_page_queries_do_not_grow_with_cases(
    service_keys, caseworker, other_caseworker
) -> None:
    # One real account, with a file, a message and a note, routed to the caseworker.
    send(Client(), account_data(narrative="At night."), files=[upload("evidence.pdf", PDF)])
    case = Case.objects.get()
    case_key = routing_case_key(case, service_keys.routing)
    actions.grant_case(case, case_key, caseworker.profile, by=None, action="case.routed")
    actions.reply_to_survivor(case, case_key, caseworker.profile, "We read your account.")
    actions.add_note(case, case_key, caseworker.profile, "Call back on Monday.")
    client = sign_in(Client(), caseworker)
    case_url = f"/caseworker/cases/{case.public_id}/"

    queue_with_one, page = page_queries(client, "/caseworker/")
    assert listed(page) == 1
    case_with_one, _ = page_queries(client, case_url)

    copy_cases(case, caseworkers=[caseworker.profile], count=29)
    copy_cases(case, caseworkers=[other_caseworker.profile], count=30)
    queue_with_thirty, page = page_queries(client, "/caseworker/")
    assert listed(page) == 30
    case_with_thirty, _ = page_queries(client, case_url)

    assert queue_with_thirty == queue_with_one
    assert case_with_thirty == case_with_one


def test_query_budgets_of_the_caseworker_pages(service_keys, caseworker, other_caseworker) -> None:
    """What each page reads, counted (docs/performance.md, "Caseworker pages (issue 16)"). Every
    staff page: the session, the user, the second factor, the staff profile (read once: the
    layout uses the one the view read) and no session write within a minute of the last one.
    The queue adds its page of cases (with this caseworker's wraps, their queue summaries and
    the counts of all, open and urgent cases, in one query) and the new-message marks. A case
    page adds the wrap (with the case and its routing job), the audit entry (lock, newest entry,
    insert), and its messages, additions, files, referrals and notes in one query; the
    colleagues a case can be handed to are read on the hand-over page only."""
    send(Client(), account_data(narrative="At night."), files=[upload("evidence.pdf", PDF)])
    case = Case.objects.get()
    case_key = routing_case_key(case, service_keys.routing)
    actions.grant_case(case, case_key, caseworker.profile, by=None, action="case.routed")
    actions.add_note(case, case_key, caseworker.profile, "Call back on Monday.")
    client = sign_in(Client(), caseworker)

    conduct, _ = page_queries(client, "/caseworker/conduct/")
    queue, _ = page_queries(client, "/caseworker/")
    case_page, _ = page_queries(client, f"/caseworker/cases/{case.public_id}/")
    assert conduct == 4
    assert queue == conduct + 2
    assert case_page == conduct + 5
