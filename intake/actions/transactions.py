"""Transactions whose outcome someone is told about, and one-time form tokens.

checked_transaction checks a failed COMMIT before saying "not saved"; a submission token makes
the same form sent twice (a double click, a reload) save once.
"""

import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django import db
from django.db import IntegrityError, transaction

from intake.models import SubmissionToken

logger = logging.getLogger(__name__)


class DuplicateSubmission(Exception):
    """This form was already sent once (a double click or a reload): no second case was made."""


class SaveUncertain(Exception):
    """The connection to the database broke while a survivor's write was being committed, and
    the database could not be asked afterwards whether the commit happened: it may or may not
    be saved."""


@dataclass
class Commit:
    answer_lost: bool = False  # the COMMIT failed, yet its writes were found afterwards


@contextmanager
def checked_transaction(written: Callable[[], bool]) -> Iterator[Commit]:
    """transaction.atomic() for a write someone is told about, whose COMMIT is checked when it
    fails.

    The connection can break after PostgreSQL committed but before its answer arrived, so an
    error at the COMMIT does not prove that nothing was saved. `written()` then asks, on a new
    connection (Django has closed the broken one), whether the writes are there. Found: the
    block counts as committed, but its on-commit hooks did not run (`answer_lost` says so). Not
    found: the error goes through, and "not saved" is true. If the database cannot be asked:
    SaveUncertain. An error before the COMMIT goes through unchanged.
    """
    commit = Commit()
    committing = False
    try:
        with transaction.atomic():
            yield commit
            committing = True  # the block is done: only the COMMIT is left
    # db.Error, not only DatabaseError: a connection the server has closed raises InterfaceError
    # on its next use, which Django does not count as a DatabaseError (tests/intake/test_faults.py).
    except db.Error as error:
        # Inside an outer transaction there was no COMMIT here: the outer one decides.
        if not committing or transaction.get_connection().in_atomic_block:
            raise
        try:
            found = written()
        except db.Error:
            raise SaveUncertain from error
        if not found:
            raise
        commit.answer_lost = True
        logger.warning("a COMMIT failed, but what it wrote was found afterwards")


def _token_hash(submission_token: str) -> str:
    return hashlib.sha256(submission_token.encode()).hexdigest()


def submission_token_used(submission_token: str) -> bool:
    """Whether a form carrying this token was already sent and saved. The survivor's forms carry
    one token from the consent page to Send (intake/survivor/sharing.py), and each message or
    addition form one of its own, so that a page sent again after it was saved (Back, then
    Reload) shows only "already sent", never the words it carried."""
    if not submission_token:
        return False
    return SubmissionToken.objects.filter(token_hash=_token_hash(submission_token)).exists()


def use_submission_token(submission_token: str) -> None:
    """Record that this form was sent; DuplicateSubmission if it was already."""
    token_hash = _token_hash(submission_token)
    try:
        with transaction.atomic():
            SubmissionToken.objects.create(token_hash=token_hash)
    except IntegrityError:
        raise DuplicateSubmission from None
