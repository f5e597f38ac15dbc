"""Staff sessions that end after 30 minutes idle, written at most about once a minute.

Django's SESSION_SAVE_EVERY_REQUEST restarts the idle timeout by writing the session (an UPDATE
and a COMMIT that waits for the disk) on every request: 30% of a plain staff page's time
(docs/performance.md, "Caseworker pages (issue 16)"). Here a session that did not change is
written again only once its stored expiry is more than SESSION_REFRESH_SECONDS older than a
write now would make it. A session therefore ends between SESSION_COOKIE_AGE minus that step
and SESSION_COOKIE_AGE after the last request: never later than before, at most a minute
earlier. A session that changed (sign-in, the staff key unlocked, messages) is written at once,
as Django always does.
"""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends import db
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class SessionStore(db.SessionStore):
    """Django's database sessions, remembering when the stored session expires."""

    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self.stored_expiry: datetime | None = None

    def _get_session_from_db(self) -> Any:  # Django's loader (not in the type stubs)
        """Django's loader, with its query written out: building it with the ORM cost more than
        running it, on every signed-in request (docs/performance.md, issue 16). As Django's, a
        session not found or expired is None and forgets its key."""
        table = connection.ops.quote_name(self.model._meta.db_table)
        found = list(
            self.model.objects.raw(
                f"SELECT * FROM {table} WHERE session_key = %s AND expire_date > %s",  # noqa: S608
                [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())],
            )
        )
        stored = found[0] if found else None
        if stored is None:
            self._session_key = None
        self.stored_expiry = stored.expire_date if stored is not None else None
        return stored

    def expiry_falls_behind(self) -> bool:
        """Whether a write now would move the expiry later by more than SESSION_REFRESH_SECONDS
        (loading the session if this request has not)."""
        self.keys()  # any read loads the stored session (once a request)
        if self.stored_expiry is None:
            return False  # nothing stored (expired, or never made): nothing to keep alive
        step = timedelta(seconds=settings.SESSION_REFRESH_SECONDS)
        return self.stored_expiry < self.get_expiry_date() - step


class IdleTimeoutSessionMiddleware(SessionMiddleware):
    """Django's SessionMiddleware, with the idle timeout restarted as described above, in place
    of SESSION_SAVE_EVERY_REQUEST (which must stay off)."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if (
            isinstance(session, SessionStore)
            and settings.SESSION_COOKIE_NAME in request.COOKIES
            and not session.modified
            and session.expiry_falls_behind()
        ):
            session.modified = True
        return super().process_response(request, response)
