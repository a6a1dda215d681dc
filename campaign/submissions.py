"""Sending a form once. A double click, the browser's back-and-resend or a retried request
brings the same one-time token again; it finds the first submission's record and is told what
that one did, instead of registering or importing a second time."""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from campaign.models import FormSubmission, User
from core.errors import Conflict, InvalidInput

_TOKEN = re.compile(r"[0-9a-f]{32}")
KEY_LIMIT = 200  # characters of an Idempotency-Key


class AlreadySubmitted(Conflict):
    """The form was sent before; `location` leads to what the first submission made."""

    def __init__(self, first: FormSubmission) -> None:
        super().__init__(f"该表单已经提交过，未重复处理。{first.outcome}".rstrip())
        self.location = first.location


def new_token() -> str:
    return secrets.token_hex(16)


def key_token(user: User, key: str) -> str:
    """The token for an API client's `Idempotency-Key`: any text the client chose, private to
    that user (two users' keys never meet)."""
    return hashlib.sha256(f"{user.id}\n{key}".encode()).hexdigest()[:32]


def refuse_used(session: Session, token: str | None) -> None:
    """Raises AlreadySubmitted when the token was used already: for a form whose work runs
    long before it claims the token in its own transaction (the ledger import)."""
    if token and _TOKEN.fullmatch(token) and (first := session.get(FormSubmission, token)):
        raise AlreadySubmitted(first)


def claim(session: Session, user: User, token: str | None) -> FormSubmission | None:
    """Records the token in the current transaction, so it stands or falls with the form's
    work: a refused form leaves the token free for the corrected one. Raises AlreadySubmitted
    when the token was used. Without a token (a client that sends none) nothing is guarded."""
    if not token:
        return None
    if not _TOKEN.fullmatch(token):
        raise InvalidInput("表单已失效，请刷新页面后重新提交")
    first = session.get(FormSubmission, token)
    if first is not None:
        raise AlreadySubmitted(first)
    submission = FormSubmission(token=token, user_id=user.id, outcome="", location="")
    try:
        with session.begin_nested():
            session.add(submission)
    except IntegrityError:
        # The same form arrived twice at once: the insert waited for the other request's
        # transaction, which committed first.
        first = session.get(FormSubmission, token)
        if first is None:  # pragma: no cover - the row that conflicted cannot vanish
            raise
        raise AlreadySubmitted(first) from None
    return submission


def record(submission: FormSubmission | None, outcome: str, location: str = "") -> None:
    """What the submission did, told to whoever sends the same form again."""
    if submission is not None:
        submission.outcome = outcome[:300]
        submission.location = location[:300]
