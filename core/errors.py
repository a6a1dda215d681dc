"""The one error model: what services raise when they refuse or fail.

Every layer raises these (or subclasses of them); the boundaries map them to answers: the web
to an HTML page or a JSON body with `status`, the CLI to one line and exit code 1. `str(error)`
is always a Chinese message fit to show the person who asked."""

from __future__ import annotations

from collections.abc import Mapping


class AppError(Exception):
    """A refusal or failure the person can be told about."""

    status = 500

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFound(AppError):
    """The record does not exist, or the person may not know that it does."""

    status = 404


class NotAllowed(AppError):
    """The person is known but may not do this."""

    status = 403


class Conflict(AppError):
    """The record changed meanwhile (done, claimed, sent before): reload and look again."""

    status = 409


class InvalidInput(AppError):
    """What was sent cannot be taken; `fields` names the fields at fault (field → reason),
    '' standing for the form as a whole."""

    status = 422

    def __init__(self, message: str = "", fields: Mapping[str, str] | None = None) -> None:
        self.fields = dict(fields or {})
        # Whether it came with a sentence of its own, or is only its fields' reasons. Each
        # reason names its field in words (完成期限不能早于今天, 方式：必填): a field's key
        # (due_on) is the form's, never shown to a person.
        self.worded = bool(message)
        if not message:
            message = "；".join(self.fields.values())
        super().__init__(message)


class MalformedRequest(InvalidInput):
    """The request itself cannot be read (not JSON, a body of the wrong shape)."""

    status = 400


class EngineFailure(AppError):
    """A case could not be run (a script raised, a diagram cannot be executed): not the
    person's fault; the case is marked in error for an administrator to look at."""

    status = 500


class TryAgain(AppError):
    """The database could not do the work now; nothing of it was done, and nothing about the
    request was wrong: the same request later most likely succeeds (503, Retry-After)."""

    status = 503
    retry_after_seconds = 5


class Busy(TryAgain):
    """A record the work had to change stayed locked by another transaction longer than a
    change waits (core.lock_waits), or the database chose the work to end a deadlock."""


class Unavailable(TryAgain):
    """The database cannot be reached or cannot take the work now (a restart, a failover,
    its disk full; core.outages), or the file store cannot (campaign.files)."""

    retry_after_seconds = 30


class NotAuthenticated(AppError):
    """Who is asking is not known: the credential is missing, unknown, expired or revoked, or
    its account may not log in now."""

    status = 401


# Refused rows of an upload named one by one on a page; its count says how many in all (a
# sheet of 20,000 bad rows named every one: 240,000 table rows no browser could show).
ERRORS_LISTED = 1000
