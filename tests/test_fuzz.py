"""Fuzzing with hypothesis: the receipt parser, Markdown rendering, search and the upload path
never crash, never answer 500, and never let HTML through unescaped."""

from html.parser import HTMLParser

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.crypto import RECEIPT_DIGITS, normalise_receipt
from intake.uploads import sniff_content_type
from rights.content import ContentError, get_library, render_markdown, search

DIGITS = "0123456789٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹"
HOSTILE = st.sampled_from(
    ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)",
     "{{ 7*7 }}", "{% debug %}", "\x00", "\u202e", "%(name)s", "'; DROP TABLE x; --"]
)  # fmt: skip


class MarkupFinder(HTMLParser):
    """Elements and attributes that could run code, found in a page's real markup (text that
    merely looks like markup, escaped, is not markup)."""

    def __init__(self) -> None:
        super().__init__()
        self.dangerous: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag in ("script", "iframe", "object", "embed", "svg") and not (
            tag == "script" and (names.get("src") or "").startswith("/static/")
        ):
            self.dangerous.append(tag)
        if tag == "img" and not (names.get("src") or "").startswith(("/static/", "data:image/")):
            self.dangerous.append("img")
        self.dangerous += [f"{tag}[{name}]" for name in names if name.startswith("on")]
        for name in ("href", "src", "action", "formaction"):
            if (names.get(name) or "").strip().lower().startswith("javascript:"):
                self.dangerous.append(f"{tag}[{name}=javascript:]")


def injected_markup(html: str) -> list[str]:
    finder = MarkupFinder()
    finder.feed(html)
    return finder.dangerous


@given(st.text(alphabet=DIGITS + " -.\u00a0", max_size=60))
def test_the_receipt_parser_returns_twenty_ascii_digits_or_nothing(typed: str) -> None:
    result = normalise_receipt(typed)
    assert result is None or (
        len(result) == RECEIPT_DIGITS and result.isascii() and result.isdigit()
    )


@given(st.text(max_size=200))
def test_the_receipt_parser_never_crashes_on_any_text(typed: str) -> None:
    normalise_receipt(typed)


# No deadline: these check what the code does with any input, not how fast it is on a loaded
# machine (speed is measured by `make bench`, never asserted in tests).
@settings(deadline=None)
@given(st.lists(st.one_of(st.text(max_size=80), HOSTILE), max_size=8).map(" ".join))
def test_markdown_never_passes_raw_html(body: str) -> None:
    try:
        html, _ = render_markdown(body, "en")
    except ContentError:
        return  # a link to another site is refused, which is the safe answer
    assert injected_markup(html) == []


@settings(deadline=None)
@given(st.one_of(st.text(max_size=300), HOSTILE))
def test_search_takes_any_query(query: str) -> None:
    search(get_library(), "ar", query)


@given(st.binary(max_size=64))
def test_the_type_sniffer_takes_any_bytes(head: bytes) -> None:
    assert sniff_content_type(head) in (
        None, "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic",
        "application/pdf", "audio/mpeg", "audio/ogg", "audio/wav", "audio/amr", "audio/mp4",
        "video/webm", "video/mp4",
    )  # fmt: skip


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.one_of(st.text(max_size=250), HOSTILE), lang=st.sampled_from(["en", "ar", "fa"]))
def test_the_search_page_never_errors_or_echoes_markup(
    client: Client, query: str, lang: str
) -> None:
    response = client.get(f"/{lang}/rights/search/", {"q": query})
    assert response.status_code == 200
    assert injected_markup(response.content.decode()) == []


@pytest.mark.django_db
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    typed=st.one_of(st.text(max_size=100), st.text(alphabet=DIGITS + " -", max_size=40), HOSTILE)
)
def test_the_receipt_page_answers_any_input_kindly(client: Client, typed: str) -> None:
    response = client.post("/en/intake/return/", {"receipt": typed})
    assert response.status_code in (400, 404)
    assert injected_markup(response.content.decode()) == []


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.binary(max_size=3000), name=st.one_of(st.text(max_size=60), HOSTILE))
def test_the_upload_path_never_errors(
    client: Client, service_keys, content: bytes, name: str
) -> None:
    from tests.intake.conftest import account_data, send, upload

    response, receipt = send(client, account_data(), files=[upload(name or "file", content)])
    assert response.status_code in (200, 400)
    assert (receipt is not None) == (response.status_code == 200)
    assert injected_markup(response.content.decode()) == []
