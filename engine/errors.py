"""Errors the engine raises: the application's error model (core.errors) made specific.
Messages are Chinese, fit to show a user."""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import Conflict, EngineFailure, InvalidInput, NotAllowed, NotFound

__all__ = [
    "CaseFailed",
    "DeploymentRefused",
    "DiagramFinding",
    "NotAllowed",
    "ScriptLimitExceeded",
    "ScriptRefused",
    "TaskConflict",
    "TaskNotFound",
    "UnknownDefinition",
]


@dataclass(frozen=True)
class DiagramFinding:
    """One thing wrong with a diagram, tied to the element that has it."""

    element_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.element_id or '（整个文件）'}：{self.message}"


class DeploymentRefused(InvalidInput):
    def __init__(self, findings: list[DiagramFinding]) -> None:
        self.findings = findings
        super().__init__(
            "流程定义有误，未部署：\n" + "\n".join(str(f) for f in findings),
            {f.element_id: f.message for f in findings},
        )


class UnknownDefinition(NotFound):
    pass


class TaskConflict(Conflict):
    """The task was done, claimed or changed by someone else meanwhile (HTTP 409)."""


class TaskNotFound(NotFound):
    pass


class ScriptRefused(InvalidInput):
    """A script or expression broke the sandbox rules."""


class ScriptLimitExceeded(ScriptRefused):
    """A script or expression ran past one of the sandbox's limits (time, size, nesting)."""


class CaseFailed(EngineFailure):
    """Running the case raised: the transaction is rolled back and the case is marked as in
    error in a transaction of its own by the boundary's runner (engine.runner)."""

    def __init__(self, case_id: int | None, message: str) -> None:
        self.case_id = case_id
        super().__init__(message)
