"""The campaign as the engine's host: who works each lane, who may act, which forms exist,
how a submission is checked, and which record follows a case when it changes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from campaign import category_rules, choices, lanes, records
from campaign.campaign_cases import READ_WITH_TASKS, work_in_campaign
from campaign.models import User
from core import clock
from engine.host import Actor, Assignment, CaseContext
from engine.models import Case, WorkItem
from forms import registry
from forms.definition import SubmissionInvalid


class CampaignHost:
    # A ledger entry, the record nearly every task serves: read with its case's tasks.
    read_with_tasks: type[Any] | None = READ_WITH_TASKS

    def lane_refusal(self, lane: str) -> str | None:
        return lanes.lane_refusal(lane)

    def form_refusal(self, form_key: str) -> str | None:
        if registry.known(form_key):
            return None
        return f"表单不存在：{form_key}（forms/definitions/ 中没有这个表单）"

    def assign(
        self, session: Session, lane: str, context: CaseContext, data: Mapping[str, Any]
    ) -> Assignment:
        return lanes.assign(session, lane, context, data)

    def may_act(self, session: Session, actor: Actor, assignment: Assignment) -> bool:
        if actor.id is None or assignment.unit_id is None:
            return False
        user = session.get(User, actor.id)
        if user is None or not user.enabled:
            return False
        # The person's roles come with them (loaded together, refreshed when one is revoked):
        # the same answer as asking the table again, without the statement.
        return any(
            r.unit_id == assignment.unit_id and r.role == assignment.role for r in user.roles
        )

    def clean_submission(
        self, session: Session, form_key: str, data: Mapping[str, Any], context: CaseContext
    ) -> dict[str, Any]:
        form = registry.get(form_key)
        if form is None:
            raise SubmissionInvalid({"": f"表单不存在：{form_key}"})

        def provide(
            source: str, submitted: Mapping[str, Any], wanted: str | None = None, /
        ) -> Sequence[tuple[str, str]]:
            return choices.options(session, source, context, submitted, wanted)

        clean = form.validate(data, today=clock.local_now().date(), choices=provide)
        if form_key in category_rules.FORMS:
            refused = category_rules.refusals(category_rules.measures(session), clean)
            if refused:
                raise SubmissionInvalid(refused)
        return clean

    def check_completion(
        self, session: Session, item: WorkItem, actor: Actor, data: Mapping[str, Any]
    ) -> None:
        user = session.get(User, actor.id)
        if user is not None:
            records.check_before(session, user, item, data)

    def case_changed(self, session: Session, case: Case) -> None:
        records.follow(session, case)

    def timers_fire_for(self, session: Session) -> ColumnElement[bool] | None:
        # An ended campaign's cases wait: their records are read-only (campaign.current).
        return work_in_campaign(session, None)
