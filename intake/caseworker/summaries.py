"""How a case is summed up on the queue and on the case page: the reply language and the kinds
of harm in the reader's own words, and when the case must be acknowledged."""

from datetime import datetime

from django.utils.translation import get_language_info, pgettext
from django.utils.translation import gettext as _

from intake.answers import HARMS
from intake.models import Case, acknowledgement_time


def language_name(code: str) -> str:
    """A reply language in the reader's own language ("Persian", "الفارسية")."""
    if code == "other":
        return _("Another language")
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return code


def harm_names(codes: list[str]) -> str:
    """The kinds of harm as the survivor's form names them, in the reader's language, joined by
    the reader's own list separator (an Arabic or Persian comma on those pages)."""
    names = dict(HARMS)
    separator = pgettext("separator between items of a list", ", ")
    return separator.join(str(names.get(code, code)) for code in codes)


def acknowledge_by(case: Case) -> datetime | None:
    """When an unacknowledged case must be acknowledged before routing gives it to someone else
    (None once acknowledged)."""
    job = getattr(case, "routing_job", None)
    if job is None:
        return None
    return deadline(case.status, job.available_at, job.urgent)


def deadline(status: str, routed_at: datetime | None, urgent: bool | None) -> datetime | None:
    """acknowledge_by from a row's plain values (the queue reads no model objects): the job's
    routing time plus acknowledgement_time, while the case is received."""
    if status != Case.Status.RECEIVED or routed_at is None:
        return None
    return routed_at + acknowledgement_time(bool(urgent))
