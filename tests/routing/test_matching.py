"""Choosing a caseworker: hard constraints, then preferences, then load; ties round-robin."""

from dataclasses import dataclass, field
from typing import Any

from intake.routing import choose


@dataclass
class Caseworker:
    """Only what matching reads of a StaffProfile."""

    user_id: int
    languages: list[str]
    gender: str = ""
    specialisms: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    capacity: int = 10
    routed_count: int = 0


def hints(**values: object) -> dict[str, object]:
    return {
        "language": "ar",
        "caseworker_gender": "any",
        "specialisms": [],
        "needs": [],
        "region": "",
    } | values


def chosen(case_hints, *candidates: tuple[Any, int]) -> int | None:
    choice = choose(case_hints, list(candidates))
    return choice.profile.user_id if choice else None


def test_language_is_a_hard_constraint() -> None:
    assert chosen(hints(language="fa"), (Caseworker(1, ["ar"]), 0)) is None
    assert chosen(hints(language="fa"), (Caseworker(1, ["ar"]), 0), (Caseworker(2, ["fa"]), 5)) == 2


def test_the_survivors_gender_preference_is_a_hard_constraint() -> None:
    men_only = [(Caseworker(1, ["ar"], gender="man"), 0)]
    assert chosen(hints(caseworker_gender="woman"), *men_only) is None
    assert chosen(hints(caseworker_gender="any"), *men_only) == 1


def test_children_and_lgbtqi_need_the_specialism() -> None:
    general = (Caseworker(1, ["ar"], specialisms=["legal"]), 0)
    children = (Caseworker(2, ["ar"], specialisms=["children"]), 9)
    assert chosen(hints(specialisms=["children"]), general, children) == 2
    assert chosen(hints(specialisms=["lgbtqi"]), general, children) is None


def test_capacity_is_never_exceeded() -> None:
    full = (Caseworker(1, ["ar"], capacity=3), 3)
    assert chosen(hints(), full) is None


def test_region_and_needs_come_before_load() -> None:
    busy_local = (Caseworker(1, ["ar"], regions=["Sudan"]), 8)
    idle_elsewhere = (Caseworker(2, ["ar"]), 0)
    assert chosen(hints(region="sudan"), busy_local, idle_elsewhere) == 1
    medical = (Caseworker(3, ["ar"], specialisms=["medical"]), 7)
    assert chosen(hints(needs=["medical"]), idle_elsewhere, medical) == 3


def test_the_lightest_load_relative_to_capacity_wins() -> None:
    small_team = (Caseworker(1, ["ar"], capacity=2), 1)  # 50 %
    large_team = (Caseworker(2, ["ar"], capacity=20), 5)  # 25 %
    assert chosen(hints(), small_team, large_team) == 2


def test_ties_go_round_robin() -> None:
    often = (Caseworker(1, ["ar"], routed_count=7), 0)
    rarely = (Caseworker(2, ["ar"], routed_count=2), 0)
    assert chosen(hints(), often, rarely) == 2


def test_the_reason_describes_the_match_not_the_account() -> None:
    local = Caseworker(1, ["ar"], specialisms=["children"], regions=["Sudan"])
    choice = choose(hints(language="ar", specialisms=["children"], region="Sudan"), [(local, 1)])
    assert choice is not None
    assert choice.params == {
        "language": "ar",
        "gender": "",
        "specialisms": ["children"],
        "same_region": True,
        "needs_matched": 1,
        "load": 1,
        "capacity": 10,
    }


def test_coordinators_read_the_reason_in_their_language() -> None:
    from django.utils import translation

    from intake.models import RoutingJob
    from intake.templatetags.routing_reasons import reason_words

    local = Caseworker(1, ["ar"], specialisms=["children"], regions=["Sudan"])
    choice = choose(hints(language="ar", specialisms=["children"], region="Sudan"), [(local, 1)])
    assert choice is not None
    with translation.override("en"):
        assert reason_words(RoutingJob.Reason.ROUTED, choice.params) == (
            "language: ar; specialisms needed: Children and young people; same region; "
            "1 wishes matched, load 1/10"
        )
        assert reason_words("something new") == "something new"
    with translation.override("fr"):
        french = reason_words(RoutingJob.Reason.ROUTED, choice.params)
        waiting = reason_words(RoutingJob.NO_ELIGIBLE_CASEWORKER)
    assert "ar" in french
    assert "Children" not in french
    assert "language" not in french
    assert "caseworker" not in waiting
