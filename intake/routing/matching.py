"""Choosing a caseworker for a case: pure functions of the routing hints and the candidates.

Hard constraints first (language, the survivor's caseworker-gender preference, and the
specialisms the case needs: children, LGBTQI+), then preferences (region, needs that match a
specialism), then the lowest open-cases/capacity ratio; ties go to whoever was chosen least often
(round-robin).
"""

from dataclasses import dataclass
from typing import Any, Protocol


class Candidate(Protocol):
    """What matching reads of a staff member (a StaffProfile)."""

    user_id: int
    languages: list[str]
    regions: list[str]
    specialisms: list[str]
    gender: str
    capacity: int
    routed_count: int


# Specialisms a case must have (hard); any other need only makes a caseworker preferable.
REQUIRED_SPECIALISMS = {"children", "lgbtqi"}


@dataclass(frozen=True)
class Choice[C: Candidate]:
    """Who, and why: `params` are the facts of the match only (never the account's content),
    stored with the RoutingJob.Reason.ROUTED code and worded by
    intake.templatetags.routing_reasons."""

    profile: C
    params: dict[str, Any]


def meets_hard_constraints(hints: dict[str, Any], profile: Candidate) -> bool:
    """Language, the survivor's caseworker-gender preference, required specialisms."""
    language = hints.get("language") or ""
    gender = hints.get("caseworker_gender") or "any"
    required = set(hints.get("specialisms") or []) & REQUIRED_SPECIALISMS
    if language and language != "other" and language not in profile.languages:
        return False
    if gender != "any" and profile.gender != gender:
        return False
    return required <= set(profile.specialisms)


def choose[C: Candidate](
    hints: dict[str, Any], candidates: list[tuple[C, int]]
) -> Choice[C] | None:
    """The best caseworker for these routing hints, among (profile, open cases) candidates."""
    language = hints.get("language") or ""
    gender = hints.get("caseworker_gender") or "any"
    required = set(hints.get("specialisms") or []) & REQUIRED_SPECIALISMS
    wanted = set(hints.get("specialisms") or []) | set(hints.get("needs") or [])
    region = (hints.get("region") or "").strip().casefold()

    suitable = []
    for profile, load in candidates:
        if load >= profile.capacity or not meets_hard_constraints(hints, profile):
            continue
        region_match = bool(region) and region in {r.casefold() for r in profile.regions}
        needs_met = len(wanted & set(profile.specialisms))
        suitable.append((profile, load, region_match, needs_met))
    if not suitable:
        return None
    best = min(
        suitable,
        key=lambda s: (
            not s[2],  # a region match first
            -s[3],  # then more needs met
            s[1] / max(s[0].capacity, 1),  # then the lightest load
            s[0].routed_count,  # then round-robin
            s[0].user_id,
        ),
    )
    profile, load, region_match, needs_met = best
    params = {
        "language": language or "any",
        "gender": "" if gender == "any" else gender,
        "specialisms": sorted(required),
        "same_region": region_match,
        "needs_matched": needs_met,
        "load": load,
        "capacity": profile.capacity,
    }
    return Choice(profile, params)
