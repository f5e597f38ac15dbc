"""Who can read a survivor's account, and for how long it is kept: written once, shown everywhere.

A survivor decides whether to share on what she reads here (docs/security.md, section 7), so this
is the one place that says it. It lives in portal/, the base both apps build on, because the
explainers (rights/) render it and rights/ imports nothing from intake/ (docs/architecture.md).
The intake start page ({% who_can_read %}, intake/templatetags/
who_can_read.py) and the explainer "Your information, your choice" (the `[[readers]]` and
`[[retention]]` lines, rights/content.py) both render this module, in the reader's language.

Each kind of reader is a kind of key wrap: the text before ":" in KeyWrap.recipient
(intake/models/). tests/intake/test_readers.py runs the real flows (submit, route, grant, hand
over, escalate, regrant) and fails when a wrap is written for a kind that is not listed here, so
the page cannot fall behind the code. When the code gains a reader, describe it here first.

The rules described are the ones intake/access.py and intake/actions/ enforce (issue 12): change
a description only together with the code, and the other way round.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

# The recipient kinds of KeyWrap (intake/models/). intake/actions/, intake/routing/ and
# StaffProfile.recipient write them; these constants are for wiring those to one definition.
SURVIVOR = "survivor"
ROUTING = "routing"
CASEWORKER = "caseworker"
COORDINATORS = "coordinators"


def recipient_kind(recipient: str) -> str:
    """The kind of a KeyWrap recipient: "caseworker:12" is a "caseworker"."""
    return recipient.partition(":")[0]


@dataclass(frozen=True)
class Reader:
    kind: str  # a recipient kind above
    name: Promise
    description: Promise


READERS: tuple[Reader, ...] = (
    Reader(
        SURVIVOR,
        _("You."),
        _(
            "You can open your account with your receipt code. We do not keep the code, so "
            "nobody else can use it unless they get it from you."
        ),
    ),
    Reader(
        ROUTING,
        _("The routing service."),
        _(
            "This is a program on our server. It opens your account by itself, with no person "
            "reading it, to choose a caseworker for you. It can do this only while your account "
            "is marked “received”. That ends when a caseworker says they have it, its status "
            "changes, or it is referred or handed over. Then the program's key to your account "
            "is deleted."
        ),
    ),
    Reader(
        CASEWORKER,
        _("The caseworker who has your case."),
        _(
            "Caseworkers are checked (vetted) before they start. They sign in with a password "
            "and a second step, such as a code on their phone. They can read your account only "
            "while their vetting is valid. They lose access when they hand your case to a "
            "colleague or give it back, when they do not confirm in time that they have it, or "
            "when they are suspended, their vetting ends or their password is reset. Your "
            "caseworker may save a copy of your case on a secure device, to work on it."
        ),
    ),
    Reader(
        COORDINATORS,
        _("Coordinators."),
        _(
            "Coordinators are vetted staff who sign in the same way. They can open your account "
            "only to give it to a caseworker. They can do this while it waits for a caseworker, "
            "when a caseworker did not confirm in time, when a caseworker gave it back, or when "
            "your caseworker lost access (for example, they were suspended, their vetting ended, "
            "or their password was reset)."
        ),
    ),
)

READER_KINDS = frozenset(reader.kind for reader in READERS)

# Said after the list, wherever the list is shown.
AUDIT_NOTE = _(
    "Every time a person opens your account, our audit log writes down who it was, which account, "
    "and the hour. It never writes down what your account says."
)
# The routing private key is on the worker's machine (docs/security.md, section 2): whoever
# runs or seizes that machine holds it, so the note says so instead of "not the people who run
# our server".
NOBODY_ELSE_NOTE = _(
    "Nobody else is given a key to your account, and the company that hosts our server holds "
    "none. The one key kept on our server is the routing service's: someone who took over the "
    "machine it runs on could use it to open your account until a caseworker says they have it."
)
# Not a reader with a key: copies that leave only by her separate choice (issue 17). The
# documentation package is made by her caseworker and encrypted to the office she chose
# (intake/actions/justice.py, intake/packages/); the counts hold nothing that identifies her
# (intake/actions/patterns.py).
ONLY_IF_YOU_CHOOSE_NOTE = _(
    "Only if you choose it yourself, later, on your own page: your caseworker may prepare a copy "
    "of what you chose to share for the ICC Office of the Prosecutor, a UN investigation or a "
    "national war-crimes unit. It is locked so that only the office you chose can open it. "
    "Nothing is sent unless you choose it."
)
COUNTED_NOTE = _(
    "Only if you agree when you share your account: it is counted in statistics of what is "
    "happening (the month, the country and region, your age group and the kinds of harm), with "
    "nothing that identifies you. Small numbers are never shown."
)
# Said after the list, in this order, wherever the list is shown.
NOTES = (AUDIT_NOTE, NOBODY_ELSE_NOTE, ONLY_IF_YOU_CHOOSE_NOTE, COUNTED_NOTE)


def retention_days() -> int:
    """How long a closed case is kept: the setting intake.actions.purge_expired_cases uses."""
    return int(settings.RETENTION_DAYS_AFTER_CLOSE)


def retention_sentences() -> list[str]:
    """How long an account is kept and what withdrawing it leaves (a content-free audit line, and
    the copy in backups taken before: BACKUP_RETENTION_DAYS), in the active language."""
    days = retention_days()
    return [
        ngettext(
            "We keep your account while your case is open. When your case is closed, we delete "
            "it %(days)s day after its last change.",
            "We keep your account while your case is open. When your case is closed, we delete "
            "it %(days)s days after its last change.",
            days,
        )
        % {"days": days},
        str(
            _(
                "You can withdraw your account at any time. This deletes what you wrote, your "
                "files and your messages at once. Our audit log keeps a line that an account "
                "existed, with nothing of what it said."
            )
        ),
        # The same words as the withdrawal pages (intake/templates/intake/backup_copies.html).
        ngettext(
            "Our server's encrypted backups still hold a copy for up to %(days)s day, until they "
            "are deleted.",
            "Our server's encrypted backups still hold a copy for up to %(days)s days, until they "
            "are deleted.",
            settings.BACKUP_RETENTION_DAYS,
        )
        % {"days": settings.BACKUP_RETENTION_DAYS},
    ]
