"""The addresses of a case's pages, for the queue's rows and the case page's forms.

Each is reversed once per process (and script prefix) with a placeholder id, and each case's id
put in its place: `{% url %}` with the case's id cost 6% of the queue (one a row) and 4% of a case
page (ten a page) (docs/performance.md, issue 16). The ids are UUIDs, so the result is the same
as reversing each one (tests/caseworker/test_cases.py).
"""

import uuid

from django.urls import get_script_prefix, reverse

_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"
# The case page's forms and links that take the case's id only (intake/caseworker/urls.py).
CASE_PAGE_ACTIONS = (
    "acknowledge",
    "reply",
    "add_note",
    "add_referral",
    "status",
    "choose_colleague",
    "escalate",
    "export",
)
_reversed: dict[tuple[str, str], str] = {}


def case_url(name: str, public_id: uuid.UUID | str) -> str:
    """reverse(f"caseworker:{name}", args=[public_id]) for a page taking only the case's id."""
    key = (get_script_prefix(), name)
    if key not in _reversed:
        _reversed[key] = reverse(f"caseworker:{name}", args=[_PLACEHOLDER])
    return _reversed[key].replace(_PLACEHOLDER, str(public_id))


def case_page_urls(public_id: uuid.UUID) -> dict[str, str]:
    """The case page's form and link addresses, by the name of their page."""
    return {name: case_url(name, public_id) for name in CASE_PAGE_ACTIONS}
