"""The problem's lifecycle and how a ledger entry's status is read off its case."""

from __future__ import annotations

from collections.abc import Iterable

from campaign.models import ProblemStatus
from engine.models import CaseStatus

PROCESS_KEY = "problem_lifecycle"

# Which open step of the lifecycle means which ledger status.
STEP_STATUS = {
    "review_registration": ProblemStatus.REVIEWING,
    "correct_registration": ProblemStatus.CORRECTING,
    "rectify": ProblemStatus.RECTIFYING,
    "approve_extension": ProblemStatus.EXTENSION,
    "signoff": ProblemStatus.SIGNOFF,
    "draft_disclosure": ProblemStatus.DISCLOSING,
    "approve_disclosure": ProblemStatus.DISCLOSING,
    "confirm_close": ProblemStatus.CLOSING,
    "approve_void": ProblemStatus.VOIDING,
}


def status_for(case_status: str, open_steps: Iterable[str]) -> ProblemStatus:
    """The entry's status: its case's end, or the step its case waits at. (A case that
    ended voided: campaign.problems.follow_case.)"""
    if case_status == CaseStatus.COMPLETED.value:
        return ProblemStatus.CLOSED
    if case_status == CaseStatus.ERROR.value:
        return ProblemStatus.ERROR
    for step in open_steps:
        if step in STEP_STATUS:
            return STEP_STATUS[step]
    return ProblemStatus.REVIEWING
