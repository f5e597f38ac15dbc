"""Issue 19: "Get help now" lists emergency and support contacts for the country a reader picks,
from a file the operator edits (portal/help_contacts.toml, docs/help-contacts.md)."""

from pathlib import Path

import pytest
from django.test import Client

from portal.checks import check_help_contacts
from portal.help_contacts import HelpContactsError, get_directory, parse

pytestmark = pytest.mark.django_db


def test_the_shipped_file_parses_and_lists_only_checked_entries() -> None:
    directory = get_directory()
    assert directory is not None
    assert check_help_contacts() == []
    # 112 in the 27 EU member states (Directive (EU) 2018/1972, Article 109(1)), nothing else.
    assert len(directory.countries) == 27
    numbers = {c.phone for country in directory.countries.values() for c in country.contacts}
    assert numbers == {"112"}
    assert all(not contact.phone for contact in directory.international)
    assert {c.url for c in directory.international} == {
        "https://help.unhcr.org/",
        "https://findahelpline.com/",
        "https://www.childhelplineinternational.org/",
    }


def test_the_country_she_picks_shows_its_contacts_and_stays_out_of_the_address(
    client: Client,
) -> None:
    page = client.get("/fr/help/").content.decode()
    assert "Allemagne" in page  # the country list, in the reader's language
    assert 'href="tel:112"' not in page  # nothing shown before she picks
    response = client.post("/fr/help/", {"country": "DE"})  # no CSRF token needed: no change
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == "/fr/help/"
    html = response.content.decode()
    assert 'href="tel:112"' in html
    assert "Services d’urgence" in html
    assert '<option value="DE" selected>' in html


def test_a_country_without_contacts_says_what_to_do(client: Client) -> None:
    for picked in ("none", "SD"):
        html = client.post("/en/help/", {"country": picked}).content.decode()
        assert "We do not list a contact for this country yet." in html
        assert "If no number is listed for you" in html
        assert 'href="tel:' not in html
    # The services for anyone, wherever she is, are always there.
    assert "https://help.unhcr.org/" in html


def test_the_operator_adds_a_country_by_editing_the_file(
    client: Client, settings, tmp_path: Path
) -> None:
    contacts = tmp_path / "contacts.toml"
    contacts.write_text(
        'reviewed = 2026-11-30\n\n[[country]]\ncode = "XK"\nnames = { en = "Testland" }\n'
        '[[country.contact]]\nkind = "violence"\nname = "A shelter"\nphone = "+1 555 0100"\n'
        'hours = "Every day, 8:00 to 20:00"\n'
    )
    settings.HELP_CONTACTS_FILE = contacts
    html = client.post("/ar/help/", {"country": "XK"}).content.decode()
    assert '<option value="XK" selected lang="en">Testland</option>' in html
    assert 'href="tel:+15550100"' in html
    assert "Every day, 8:00 to 20:00" in html
    assert "2026" in html  # the review date is shown


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('reviewed = "soon"', "reviewed"),
        (
            'reviewed = 2026-01-01\n[[international]]\nkind = "magic"\nname = "x"\nurl = "https://x"',
            "kind must be one of",
        ),
        (
            'reviewed = 2026-01-01\n[[international]]\nkind = "violence"\nname = "x"',
            "needs a phone",
        ),
        (
            'reviewed = 2026-01-01\n[[international]]\nkind = "violence"\nname = "x"\nurl = "http://x"',
            "only https://",
        ),
        ('reviewed = 2026-01-01\n[[country]]\ncode = "de"\nnames = { en = "x" }', "two-letter"),
    ],
)
def test_a_malformed_file_is_named_with_its_problem(text: str, problem: str) -> None:
    with pytest.raises(HelpContactsError, match=problem):
        parse(text)


def test_a_broken_file_fails_the_check_and_the_page_still_says_what_to_do(
    client: Client, settings, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("reviewed = ")
    settings.HELP_CONTACTS_FILE = broken
    assert [error.id for error in check_help_contacts()] == ["portal.E002"]
    html = client.post("/en/help/", {"country": "DE"}).content.decode()
    assert "If no number is listed for you" in html


def test_an_old_review_date_is_shown_and_warned_about(
    client: Client, settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    old = tmp_path / "old.toml"
    old.write_text(
        'reviewed = 2020-01-31\n[[international]]\nkind = "helplines"\nname = "x"\n'
        'url = "https://example.org/"\n'
    )
    settings.HELP_CONTACTS_FILE = old
    html = client.get("/en/help/").content.decode()
    assert "We last checked these contacts on" in html
    assert "2020" in html
    assert "was last reviewed on 2020-01-31" in caplog.text
