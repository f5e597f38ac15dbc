"""The coordinators' page of pattern counts and its CSV (intake/caseworker/patterns.py): small
cells never shown, the same cells in both, audited, coordinators only, no formula in the CSV."""

import csv
import io
import re

import pytest
from django.test import Client

from intake.models import AuditEntry, PatternCount, StaffProfile
from tests.caseworker.conftest import make_persona, sign_in
from tests.intake.conftest import account_data, send

pytestmark = pytest.mark.django_db

PAGE, CSV = "/caseworker/patterns/", "/caseworker/patterns.csv"


def count(count: int, *, month="2025-03", country="sudan", region="", age="adult", harm="threats"):
    PatternCount.objects.create(
        month=month, country=country, region=region, age_group=age, harm=harm, count=count
    )


@pytest.fixture
def counted(db) -> None:
    count(40, country="sudan", harm="threats")
    count(30, country="sudan", harm="detention")
    count(2, country="chad", harm="threats")  # fewer than 5: never shown
    count(25, country="chad", harm="detention")
    count(12, month="2025-04", country="chad", harm="threats")


def rows_of(page: str) -> dict[str, list[str]]:
    """Each table row's header and cells, as text."""
    rows = {}
    for head, cells in re.findall(r'<tr><th scope="row">([^<]*)</th>(.*?)</tr>', page):
        rows[head] = re.findall(r"<td>([^<]*)</td>", cells)
    return rows


def csv_rows(response) -> dict[str, list[str]]:
    text = b"".join(response).decode() if response.streaming else response.content.decode()
    return {row[0]: row[1:] for row in csv.reader(io.StringIO(text))}


def test_a_coordinator_sees_the_counts_with_small_cells_hidden(coordinator, counted) -> None:
    client = sign_in(Client(), coordinator)
    rows = rows_of(client.get(PAGE, {"by": "country"}).content.decode())
    # Columns: sexual violence is not there (nothing counted), detention then threats.
    assert rows["Sudan"] == ["30", "40", "70"]
    # Chad's threats are 2 in March and 12 in April: 14 shown.
    assert rows["Chad"] == ["25", "14", "39"]
    month = rows_of(client.get(PAGE, {"by": "month"}).content.decode())
    # March's threats in Chad and Sudan: 42. By month nothing is small.
    assert month["2025-03"] == ["55", "42", "97"]
    by_both = rows_of(client.get(PAGE, {"by": "region"}).content.decode())
    assert by_both["Chad, region not said"] == ["25", "14", "39"]
    assert AuditEntry.objects.filter(action="patterns.viewed", actor=coordinator.user).count() == 3


@pytest.fixture
def small(db) -> None:
    count(40, country="sudan", harm="threats")
    count(30, country="sudan", harm="detention")
    count(2, country="chad", harm="threats")  # fewer than 5: never shown
    count(25, country="chad", harm="detention")


def test_a_small_cell_is_never_shown_nor_left_to_subtraction(coordinator, small) -> None:
    client = sign_in(Client(), coordinator)
    rows = rows_of(client.get(PAGE, {"by": "country"}).content.decode())
    assert rows["Chad"][1] == "fewer than 5"
    assert not any(cell == "2" for cells in rows.values() for cell in cells)
    # Chad's row, and the threats column, each hide a second value, so that none gives it back.
    assert sum(cell in ("fewer than 5", "not shown") for cell in rows["Chad"]) == 2
    threats = [cells[1] for cells in rows.values()]
    assert sum(cell in ("fewer than 5", "not shown") for cell in threats) >= 2


def test_the_csv_has_the_same_cells_as_the_page(coordinator, small) -> None:
    client = sign_in(Client(), coordinator)
    for by in ("month", "country", "region", "age_group"):
        page = rows_of(client.get(PAGE, {"by": by}).content.decode())
        response = client.get(CSV, {"by": by})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        rows = csv_rows(response)
        words = {"fewer than 5": "<5", "not shown": "suppressed"}
        assert {head: cells for head, cells in rows.items() if head in page} == {
            head: [words.get(cell, cell) for cell in cells] for head, cells in page.items()
        }
        assert len(rows) == len(page) + 1  # and the header
    rows = csv_rows(client.get(CSV, {"by": "country"}))
    assert rows["Country"] == ["Detention", "Threats", "Total"]
    assert rows["Chad"][1] == "<5"
    assert "2" not in rows["Chad"]
    exports = AuditEntry.objects.filter(action="patterns.exported", actor=coordinator.user)
    assert exports.count() == 5


def test_rows_are_chosen_without_javascript(coordinator, counted) -> None:
    client = sign_in(Client(), coordinator)
    by_month = rows_of(client.get(PAGE).content.decode())
    assert set(by_month) == {"2025-03", "2025-04", "Total"}
    assert '<select id="by" name="by">' in client.get(PAGE).content.decode()
    # Anything else than a known dimension is the month table.
    assert rows_of(client.get(PAGE, {"by": "narrative"}).content.decode()) == by_month
    by_region = rows_of(client.get(PAGE, {"by": "region"}).content.decode())
    assert set(by_region) == {"Sudan, region not said", "Chad, region not said", "Total"}
    assert set(csv_rows(client.get(CSV, {"by": "age_group"}))) == {
        "Age group",
        "18 or older",
        "Total",
    }


def test_the_chart_draws_the_months_with_the_tables_numbers(coordinator, db) -> None:
    count(3, month="2025-01")
    count(9, month="2025-02")
    count(20, month="2025-03")
    page = sign_in(Client(), coordinator).get(PAGE).content.decode()
    chart = page[page.index("<svg") : page.index("</svg>")]
    assert 'role="img"' in chart
    assert "<title" in chart
    assert "<desc" in chart
    # January is fewer than 5 (a dashed outline); February goes with it; March is drawn.
    assert chart.count("fewer than 5") == 2  # the month's label, and the description
    assert "not shown" in chart
    assert ">20</text>" in chart
    assert 'stroke-dasharray="4 3"' in chart
    assert ">3<" not in chart
    assert ">9<" not in chart


def test_nothing_counted_yet(coordinator) -> None:
    page = sign_in(Client(), coordinator).get(PAGE).content.decode()
    assert "Nothing is counted yet." in page


def test_the_page_says_the_counts_wait_for_enough_accounts(coordinator, settings) -> None:
    """They change only in mixes of PATTERN_FLUSH_MIN accounts (intake/actions/pattern_changes.py):
    the page says so, with the number in force."""
    settings.PATTERN_FLUSH_MIN = 12
    page = sign_in(Client(), coordinator).get(PAGE).content.decode()
    assert "The numbers change only once at least 12 accounts have been routed or withdrawn" in page


def test_a_formula_typed_as_a_country_stays_text_in_the_csv(coordinator) -> None:
    for place in ('=hyperlink("http://x")', "+1+1", "-2+3", "@sum(a1)"):
        count(10, country=place)
    rows = csv_rows(sign_in(Client(), coordinator).get(CSV, {"by": "country"}))
    labels = [label for label in rows if label not in ("Country", "Total")]
    assert sorted(labels) == sorted(['\'=Hyperlink("Http://X")', "'+1+1", "'-2+3", "'@Sum(A1)"])


@pytest.mark.parametrize("url", [PAGE, CSV])
def test_only_vetted_coordinators_reach_the_counts(url, counted, caseworker) -> None:
    assert sign_in(Client(), caseworker).get(url).status_code == 404
    pending = make_persona(
        "new-coordinator@example.org",
        role=StaffProfile.Role.COORDINATOR,
        vetting=StaffProfile.Vetting.PENDING,
    )
    assert sign_in(Client(), pending).get(url).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    assert not AuditEntry.objects.filter(action__startswith="patterns.").exists()


@pytest.mark.parametrize("url", [PAGE, CSV])
def test_a_survivor_does_not_reach_the_counts(url, counted, service_keys) -> None:
    survivor = Client()
    _, receipt = send(survivor, account_data())
    assert survivor.post("/en/intake/return/", {"receipt": receipt}).status_code == 302
    response = survivor.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_coordinators_navigation_links_the_page(coordinator, caseworker) -> None:
    assert PAGE in sign_in(Client(), coordinator).get("/caseworker/").content.decode()
    assert PAGE not in sign_in(Client(), caseworker).get("/caseworker/").content.decode()
