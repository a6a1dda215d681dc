"""Errors the engine raises; messages are Chinese, fit to show a user."""

from __future__ import annotations

from dataclasses import dataclass


class EngineError(Exception):
    pass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a diagram, tied to the element that has it."""

    element_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.element_id or '（整个文件）'}：{self.message}"


class DeploymentRefused(EngineError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("流程定义有误，未部署：\n" + "\n".join(str(p) for p in problems))


class UnknownDefinition(EngineError):
    pass


class TaskConflict(EngineError):
    """The task was done, claimed or changed by someone else meanwhile (HTTP 409)."""


class TaskNotFound(EngineError):
    pass


class NotAllowed(EngineError):
    pass


class ScriptRefused(EngineError):
    """A script or expression broke the sandbox rules."""


class ScriptLimitExceeded(ScriptRefused):
    """A script or expression ran past one of the sandbox's limits (time, size, nesting)."""


class CaseFailed(EngineError):
    """Running the case raised: the transaction is rolled back and the case must be marked
    as in error by the caller in a transaction of its own (see `cases.mark_error`)."""

    def __init__(self, case_id: int | None, message: str) -> None:
        self.case_id = case_id
        self.message = message
        super().__init__(message)
