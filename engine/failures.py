"""What counts as a case's failure while it runs, and the one-line message people see."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from SpiffWorkflow.exceptions import SpiffWorkflowException
from sqlalchemy.exc import SQLAlchemyError

from core.errors import AppError
from engine.errors import CaseFailed, ScriptRefused


@contextmanager
def running(case_id: int | None) -> Iterator[None]:
    """Anything that goes wrong while a case runs is the case's failure, with one exception:
    refusals (a conflict, a form the person must correct) and database trouble, which say
    nothing about the case and leave it as it was."""
    try:
        yield
    except (SpiffWorkflowException, ScriptRefused) as exc:
        raise CaseFailed(case_id, describe(exc)) from exc
    except (AppError, SQLAlchemyError):
        raise
    except Exception as exc:
        raise CaseFailed(case_id, describe(exc)) from exc


def describe(exc: Exception) -> str:
    """A message for people: which step failed and why, in one line."""
    task = getattr(exc, "task", None)
    where = f"（{task.task_spec.bpmn_name or task.task_spec.bpmn_id}）" if task is not None else ""
    # SpiffWorkflow wraps the script's own exception; the original is the context.
    cause = exc
    if isinstance(exc, SpiffWorkflowException):
        cause = exc.__cause__ or exc.__context__ or exc
    if isinstance(cause, ScriptRefused):
        return f"脚本被安全规则拒绝{where}：{cause}"
    detail = str(exc) if cause is exc and isinstance(exc, SpiffWorkflowException) else None
    return f"流程执行出错{where}：{detail or f'{type(cause).__name__}: {cause}'}"
