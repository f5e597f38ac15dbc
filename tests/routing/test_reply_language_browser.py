"""Issue 19: her language is kept. An account sent from the Arabic pages, the reply-language
question left as it was, is routed by a real Celery worker to a caseworker who reads Arabic, not
to the English-speaking one (the question used to start at English on every page)."""

import pytest

from intake.models import Case, RoutingJob
from tests.caseworker.conftest import make_persona
from tests.conftest import wait_for
from tests.intake.test_intake_browser import give_consent

pytestmark = [pytest.mark.worker, pytest.mark.browser]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_arabic_account_sent_untouched_reaches_an_arabic_speaking_caseworker(
    browser, celery_worker, worker_keys, javascript: bool
) -> None:
    emma = make_persona("emma@example.org", languages=["en"], gender="woman")
    amina = make_persona("amina@example.org", languages=["ar"], gender="woman")
    session = browser(javascript=javascript, viewport={"width": 360, "height": 740})
    page = session.new_page()
    page.goto(session.url("/ar/intake/consent/"))
    give_consent(page)
    page.fill("#id_account-narrative", "حدث ذلك في السوق")  # and nothing else is touched
    page.click("form button[type=submit]")
    page.click("form button[type=submit]:not([formaction])")
    assert page.locator("#receipt-code").is_visible()
    case = Case.objects.get()
    assert wait_for(lambda: RoutingJob.objects.get(case=case).state == "done"), celery_worker.log()
    job = RoutingJob.objects.get(case=case)
    assert job.assigned_to == amina.user
    assert job.assigned_to != emma.user
    assert (job.reason, job.reason_params["language"]) == ("routed", "ar")
