"""Example survivor accounts for development, sent through the real submission path.

Each example is checked by the survivor's own forms (intake/survivor/forms.py), sealed and stored
by intake.actions.submit_account exactly as the "Send" button does, and routed in this process as
`make run` routes (Celery runs tasks in-process there). Then the caseworker routing chose, and the
survivor, carry some of them further through intake/actions/: an acknowledgement, a message
each way, a referral consent. So a newcomer finds something on every screen: the survivor's
return page, each caseworker's queue and the coordinators' waiting queue.

The receipt codes exist only in --json FILE (mode 0600) and in what this command prints: like
the staff passwords of seed_demo, they are made fresh on each machine and never committed.
Refuses to run with DEBUG off; `manage.py setup_dev_site` runs it once, on a fresh database.
"""

import contextlib
import io
import json
import logging
import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from intake import access, actions, crypto
from intake.actions.pattern_changes import apply_pending
from intake.answers import AccountForm
from intake.models import Case, RoutingJob, StaffProfile
from intake.routing.placement import routing_private_key
from intake.survivor.forms import ConsentForm, account_answers, account_contact
from intake.tasks import route_case

# What happens after routing, by the caseworker who received the case and by the survivor.
NOTHING = "nothing"
EXCHANGE = "exchange"  # acknowledged; the caseworker writes, the survivor answers
REFERRAL_CONSENT = "referral-consent"  # acknowledged; the survivor agrees to be referred


@dataclass(frozen=True)
class Example:
    language: str  # the language of the survivor's pages and of what they write
    shows: str  # what a newcomer sees with it, printed beside the receipt
    account: dict[str, Any]  # the account form, as the survivor filled it in
    contact: dict[str, str] = field(default_factory=dict)
    then: str = NOTHING
    caseworker_message: str = ""
    survivor_message: str = ""
    # Her choices about documentation for justice (intake/actions/justice.py), made on her own
    # page after she came back: which offices, none by default.
    justice: tuple[str, ...] = ()


def _last_year() -> str:
    return str(timezone.now().year - 1)


# Every narrative starts with "[DEMO]" and says, in its own language, that it is not a real story.
# Routing is not told whom to choose: the languages, preferences and needs below decide it
# (intake/routing/), against the demo staff of seed_demo.DEMO_STAFF.
EXAMPLES = [
    Example(
        language="ar",
        shows="routed, not read yet",
        account={
            "narrative": "[DEMO] هذا حساب تجريبي وليس قصة حقيقية. في العام الماضي هاجم رجال "
            "مسلحون قريتي. أريد أن أتحدث مع امرأة وأن أعرف حقوقي.",
            "when_year": _last_year(),
            "country": "Sudan",
            "region": "Darfur",
            "harms": ["sexual_violence", "threats"],
            "others_targeted": "yes",
            "wants": ["information", "psychosocial"],
            "preferred_language": "ar",
            "caseworker_gender": "woman",
        },
    ),
    Example(
        language="uk",
        shows="acknowledged, one message each way; she chose documentation for the ICC "
        "Prosecutor (without her name), so her caseworker can prepare a package",
        account={
            "narrative": "[DEMO] Це демонстраційний запис, а не справжня історія. Мене "
            "затримали на блокпосту й погрожували мені. Зараз я в безпеці. Я хочу, щоб те, що "
            "сталося, було записано.",
            "when_year": _last_year(),
            "country": "Ukraine",
            "harms": ["detention", "threats"],
            "others_targeted": "unsure",
            "wants": ["documentation", "legal"],
            "preferred_language": "uk",
            "caseworker_gender": "any",
        },
        contact={
            "contact_channel": "signal",
            "contact_address": "demo.not.a.real.account",
            "contact_times": "Увечері",
            "contact_code_word": "соняшник",
        },
        then=EXCHANGE,
        justice=("icc_otp",),
        caseworker_message="[DEMO] Дякую, що написали нам. Я прочитала ваш запис. Коли вам "
        "безпечно поговорити?",
        survivor_message="[DEMO] Дякую. Увечері, після сьомої, мені безпечно.",
    ),
    Example(
        language="fa",
        shows="URGENT (the survivor is in danger now), routed, not read yet",
        account={
            "in_danger": "on",
            "narrative": "[DEMO] این یک حساب آزمایشی است، نه یک داستان واقعی. من به دختران درس "
            "می‌دادم و مردان مسلح مرا تهدید کردند. امروز به خانه ما آمدند.",
            "when_ongoing": "on",
            "country": "Afghanistan",
            "harms": ["education", "threats"],
            "wants": ["safety", "asylum"],
            "preferred_language": "fa",
            "caseworker_gender": "any",
        },
        contact={
            "contact_channel": "sms",
            "contact_address": "000 000 0000 (demo)",
        },
    ),
    Example(
        language="es",
        shows="acknowledged; the survivor agreed to be referred",
        account={
            "narrative": "[DEMO] Esta es una cuenta de demostración, no una historia real. Me "
            "echaron de mi trabajo y me amenazaron por ser una mujer trans. Necesito atención "
            "médica y asesoría legal.",
            "when_year": _last_year(),
            "country": "Venezuela",
            "harms": ["work", "threats"],
            "wants": ["medical", "legal"],
            "preferred_language": "es",
            "caseworker_gender": "any",
            "lgbtqi_support": "on",
        },
        then=REFERRAL_CONSENT,
    ),
    Example(
        language="ru",
        # Nobody on the demo team is a man who speaks Russian and supports LGBTQI+ people: the
        # case waits for a coordinator, who may open it and give it to someone.
        shows="nobody on the team fits (Russian, a man, LGBTQI+ support)",
        account={
            "narrative": "[DEMO] Это демонстрационная запись, а не реальная история. Меня "
            "задержали и угрожали мне из-за того, что я гей. Я хотел бы поговорить с мужчиной.",
            "when_year": _last_year(),
            "country": "Russia",
            "harms": ["detention", "threats"],
            "wants": ["safety", "psychosocial"],
            "preferred_language": "ru",
            "caseworker_gender": "man",
            "lgbtqi_support": "on",
        },
        contact={
            "contact_channel": "email",
            "contact_address": "not.a.real.address@demo.invalid",
            "contact_times": "Днём",
        },
    ),
]


def _form_data(example: Example) -> dict[str, Any]:
    """The POST data of the survivor's consent and account pages (intake/survivor/sharing.py), as a
    browser sends it."""
    data: dict[str, Any] = {
        "consent-consent_store": "on",
        "consent-consent_caseworker": "on",
        # Every example agrees to be counted, so the coordinators' pattern page has something.
        "consent-consent_statistics": "on",
        "consent-age_group": "adult",
    }
    for name, value in {**example.account, **example.contact}.items():
        data[f"account-{name}"] = value
    return data


def submit(example: Example) -> actions.Submitted:
    """Send one example as the survivor's "Send" button does (intake.survivor.sharing._submit),
    without files."""
    data = _form_data(example)
    with translation.override(example.language):
        consent = ConsentForm(data, prefix="consent")
        account = AccountForm(data, minor=consent.is_minor, prefix="account")
        if not (consent.is_valid() and account.is_valid()):
            errors = {**consent.errors.get_json_data(), **account.errors.get_json_data()}
            raise CommandError(f"the {example.language} example fails the forms: {errors}")
        return actions.submit_account(
            case_key=crypto.new_case_key(),
            public_id=uuid.uuid4(),
            answers=account_answers(consent, account, example.language),
            contact=account_contact(account),
            uploads=[],
            submission_token=secrets.token_urlsafe(24),
        )


def route(case: Case) -> RoutingJob:
    """Routing, in this process. Without REDIS_URL it ran already when the case was committed
    (CELERY_TASK_ALWAYS_EAGER); with REDIS_URL the task went to the broker, and it runs here too
    so the examples are complete before the site starts (routing twice never assigns twice)."""
    job = RoutingJob.objects.get(case=case)
    if job.state in (RoutingJob.State.PENDING, RoutingJob.State.CLAIMED):
        route_case.apply(args=(case.pk,))
        job.refresh_from_db()
    return job


def carry_on(example: Example, submitted: actions.Submitted, job: RoutingJob) -> None:
    """What the caseworker who received the case, and the survivor, did next. The case key is
    the one the survivor's receipt opens (actions.open_case_with_receipt)."""
    if example.then == NOTHING:
        return
    if job.state != RoutingJob.State.DONE or job.assigned_to is None:
        raise CommandError(f"the {example.language} example was not routed ({job.state})")
    opened = access.open_case_with_receipt(submitted.receipt)
    if opened is None:
        raise CommandError(f"the {example.language} example does not open with its receipt")
    case, case_key = opened
    caseworker = StaffProfile.objects.get(user=job.assigned_to)
    actions.acknowledge_case(case, caseworker)
    if example.then == EXCHANGE:
        actions.reply_to_survivor(case, case_key, caseworker, example.caseworker_message)
        actions.send_survivor_message(case, case_key, example.survivor_message)
    elif example.then == REFERRAL_CONSENT:
        actions.set_referral_consent(case, case_key, True)
    if example.justice:
        actions.set_justice_consent(
            case,
            case_key,
            recipients=example.justice,
            with_identity=False,
            witness_contact=True,
            language=example.language,
        )


def where(job: RoutingJob) -> str:
    job.refresh_from_db()
    if job.state == RoutingJob.State.DONE and job.assigned_to is not None:
        return f"with {job.assigned_to.email}"
    if job.state == RoutingJob.State.WAITING:
        return "waiting for a coordinator"
    return "not routed yet"


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Routing and vetting e-mail the staff they notify, and Celery logs each task it runs
    in-process: in development both are printed, and would bury the accounts printed after the
    seeding. (The e-mails say nothing about a case: intake.tasks.NOTIFICATION_BODY.) A
    command's own output goes on: its stdout was taken before this redirection."""
    trace = logging.getLogger("celery.app.trace")
    level = trace.level
    trace.setLevel(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        trace.setLevel(level)


class Command(BaseCommand):
    help = "Send example survivor accounts through the real submission path (development only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", help="write the receipts to this file (mode 0600)")

    def handle(self, *args: Any, **options: Any) -> None:
        # No --force: on a real site these accounts would reach real caseworkers.
        if not settings.DEBUG:
            raise CommandError("Example accounts are for development: run with DEBUG=1.")
        survivors = []
        with quiet():
            for example in EXAMPLES:
                submitted = submit(example)
                job = route(submitted.case)
                carry_on(example, submitted, job)
                survivors.append(
                    {
                        "language": example.language,
                        "receipt": crypto.format_receipt(submitted.receipt),
                        "shows": example.shows,
                        "where": where(job),
                        "return_page": f"/{example.language}/intake/return/",
                    }
                )
        # The examples' pattern counts wait, sealed, for PATTERN_FLUSH_MIN accounts like any
        # others (intake/actions/pattern_changes.py); on the demo site they are applied at once,
        # so the coordinators' page has something to show.
        apply_pending(routing_private_key(), minimum=1)
        if options["json"]:
            path = Path(options["json"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.unlink(missing_ok=True)  # a file made before keeps its mode: make a new one
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                json.dump(survivors, handle, ensure_ascii=False, indent=2)
        self.stdout.write(f"sent {len(survivors)} example survivor accounts")
