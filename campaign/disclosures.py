"""What the public sees (公开公示): published rectifications, with only the fields the rules
allow, masked on the server for every public view and export.

A problem's public text is masked with the names recorded on it (涉及人员姓名) and on each of
its clues (被调查人员姓名): when it is drafted, when it is approved and whenever it is shown,
so a name the commission records after publication is masked from then on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaign.ledger_queries import ROW_NAMES
from campaign.masking import mask_text
from campaign.models import Clue, Problem, ProblemStatus, Programme, Unit
from campaign.problems import ledger_unit_names
from core import paging
from core.paging import Page

PER_PAGE = 20


@dataclass(frozen=True)
class Disclosure:
    number: str
    township: str
    village: str
    programme: str
    category: str
    amount_yuan: str
    status: str
    rectified_on: str
    published_on: str
    text: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def masked(session: Session, problem: Problem, text: str) -> str:
    """The text as the public may see it about this problem."""
    return mask_text(text, names=names_to_mask(session, [problem])[problem.id])


def names_to_mask(session: Session, problems: Sequence[Problem]) -> dict[int, list[str]]:
    """Each problem's own names and its clues' (as entered: mask_text splits them)."""
    names = {p.id: [p.involved_names] for p in problems}
    named = select(Clue.problem_id, Clue.persons_named).where(
        Clue.problem_id.in_(list(names)), Clue.persons_named != ""
    )
    for problem_id, persons in session.execute(named):
        names[problem_id].append(persons)
    return names


# The public list follows the problem's current status (动态调整): published and closed, or
# published and awaiting its close; reopened after a follow-up visit, it is being rectified
# again. A voided entry is withdrawn from the list altogether.
# A published problem in 拟定公示内容 / 公示审批 again is a reopened one: its new text is a
# draft nobody has approved, so the public sees neither it nor the old one until approval.
PUBLIC_STATUS = {
    ProblemStatus.CLOSED.value: "已销号",
    ProblemStatus.CLOSING.value: "整改完成，公示中",
}
REOPENED = "回访发现问题，重新整改中"
DRAFT_PENDING = "（重新整改情况经审批后公示）"


def public_status(problem: Problem) -> str:
    return PUBLIC_STATUS.get(problem.status, REOPENED)


def _row(problem: Problem, names: Sequence[str]) -> Disclosure:
    amount = problem.amount_fen
    return Disclosure(
        number=problem.number,
        township=problem.unit.name,
        village=problem.village.name if problem.village else "",
        programme=problem.programme.name,
        category=problem.stat_category.name,
        amount_yuan=f"{amount // 100:,}.{amount % 100:02d}",
        status=public_status(problem),
        rectified_on=problem.rectified_on.isoformat()
        if problem.rectified_on and problem.status in PUBLIC_STATUS
        else "",
        published_on=problem.published_at.date().isoformat() if problem.published_at else "",
        # Masked when drafted and again here, with the names recorded by now: nothing
        # unmasked can reach a public page, even from a text published before the rules grew.
        text=DRAFT_PENDING
        if problem.status == ProblemStatus.DISCLOSING.value
        else mask_text(problem.public_text, names=names),
    )


def search(
    session: Session,
    *,
    township: str = "",
    programme: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page[Disclosure]:
    query = select(Problem).where(Problem.published_at.is_not(None), Problem.voided_at.is_(None))
    if township:
        query = query.where(Problem.unit_id.in_(select(Unit.id).where(Unit.code == township)))
    if programme:
        query = query.where(
            Problem.programme_id.in_(select(Programme.id).where(Programme.code == programme))
        )
    # The newest first, from the newest end of an index of what is published (migration
    # 0042); counted up to a bound, like the ledger: a province publishes half a million.
    ordered = query.order_by(Problem.published_at.desc(), Problem.id.desc())
    found = paging.fetch(session, ordered, page, per_page, capped=True, load=ROW_NAMES)
    names = names_to_mask(session, found.items)
    rows = [_row(p, names[p.id]) for p in found.items]
    return Page(rows, found.total, found.number, found.per_page, found.exact)


def search_choices(session: Session) -> dict[str, list[tuple[str, str]]]:
    programmes = session.execute(
        select(Programme.code, Programme.name).order_by(Programme.sort_order)
    )
    return {
        "townships": ledger_unit_names(session),
        "programmes": [(code, name) for code, name in programmes],
    }
