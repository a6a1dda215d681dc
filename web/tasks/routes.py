from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from werkzeug.wrappers import Response

from campaign import choices, files, ledger_effects, reassignment, tasks, visibility
from campaign.errors import CampaignError
from campaign.models import Attachment, Problem
from campaign.submissions import AlreadySubmitted
from campaign.workflow_host import actor_for
from engine import cases
from engine.errors import EngineError, NotAllowed, TaskConflict
from engine.host import Assignment, FormInvalid
from engine.models import Case, CaseEvent, WorkItem
from engine.projection import context_of
from forms import registry
from web import db, once
from web.authz import allow
from web.common import HOST, data_dir, form_values, found, me
from web.roles import WORKING_ROLES

bp = Blueprint("tasks", __name__)


def _visible_item(item_id: int) -> WorkItem:
    item = found(db.session().get(WorkItem, item_id))
    if not visibility.may_see_case(db.session(), me(), item.case_id):
        abort(404)
    return item


def _page(
    item: WorkItem, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> ResponseReturnValue:
    session = db.session()
    case = session.get(Case, item.case_id)
    assert case is not None
    form = registry.get(item.form_key)
    options: dict[str, list[tuple[str, str]]] = {}
    if form is not None:
        for spec in form.fields:
            if spec.source:
                options[spec.name] = choices.options(session, spec.source, context_of(case), values)
            elif spec.choices:
                options[spec.name] = list(spec.choices)
    problem = (
        session.get(Problem, case.subject_id)
        if case.subject_type == "problem" and case.subject_id
        else None
    )
    open_steps = list(
        session.scalars(
            select(WorkItem.bpmn_id).where(WorkItem.case_id == case.id, WorkItem.state == "open")
        )
    )
    may_act = item.state == "open" and HOST.may_act(
        session, actor_for(me()), Assignment(item.unit_id, item.role)
    )
    history = cases.history(session, case.id)
    return render_template(
        "tasks/show.html",
        returned_note=_returned_note(history),
        item=item,
        case=case,
        form=form,
        values=values,
        errors=errors,
        options=options,
        problem=problem,
        history=history,
        attachments=files.of_case(session, case.id),
        comments=files.comments_of_case(session, case.id),
        open_steps=open_steps,
        may_act=may_act,
        reassign_to=(
            reassignment.candidates(session, item)
            if reassignment.may_reassign(me(), item)
            else None
        ),
    ), status


def _returned_note(history: list[CaseEvent]) -> str:
    """The reason given when the work was last sent back, for the person now redoing it."""
    completed = [e for e in history if e.kind == "task_completed"]
    if not completed or not completed[-1].data:
        return ""
    data = json.loads(completed[-1].data)
    return tasks.decision_note(data) if tasks.sends_back(data) else ""


def _prefill(item: WorkItem) -> dict[str, Any]:
    """A correction starts from what was registered, a review from the responsibility
    proposed at registration, not from an empty form."""
    case = db.session().get(Case, item.case_id)
    if case is None or case.subject_type != "problem":
        return {}
    problem = db.session().get(Problem, case.subject_id)
    if problem is None:
        return {}
    if item.form_key == "correct_registration":
        return ledger_effects.registration_values(problem)
    if item.form_key == "review_registration":
        return ledger_effects.proposed_responsibility(problem)
    return {}


@bp.get("/tasks/<int:item_id>")
@allow(*WORKING_ROLES)
def show(item_id: int) -> ResponseReturnValue:
    item = _visible_item(item_id)
    return _page(item, _prefill(item), {})


@bp.post("/tasks/<int:item_id>")
@allow(*WORKING_ROLES)
def complete(item_id: int) -> ResponseReturnValue:
    session = db.session()
    item = _visible_item(item_id)
    form = found(registry.get(item.form_key))
    values = form_values(request.form, form)
    try:
        for spec in form.fields:
            if spec.type == "files":
                uploads = [f for f in request.files.getlist(f"{spec.name}__upload") if f.filename]
                stored = [
                    files.store(session, data_dir(), me(), item.case_id, f.filename or "", f.stream)
                    for f in uploads
                ]
                values[spec.name] = [str(a.id) for a in stored] + [
                    v for v in values[spec.name] if _belongs(v, item.case_id)
                ]
        done = tasks.complete(session, HOST, me(), item.id, values)
    except FormInvalid as invalid:
        session.rollback()
        return _page(_visible_item(item_id), values, invalid.errors, 422)
    except TaskConflict as conflict:
        session.rollback()
        flash(f"{conflict}（可能已由他人办理或重复提交）", "warning")
        return _page(_visible_item(item_id), {}, {}, 409)
    except (NotAllowed, CampaignError) as refused:
        session.rollback()
        return _page(_visible_item(item_id), values, {"": str(refused)}, 422)
    except EngineError as failure:
        session.rollback()
        flash(f"办理失败：{failure}", "error")
        return _page(_visible_item(item_id), values, {}, 500)
    flash(f"“{done.item.title}”已办理完毕", "success")
    return redirect(url_for("inbox.index"))


def _belongs(value: str, case_id: int) -> bool:
    attachment = db.session().get(Attachment, int(value)) if value.isdigit() else None
    return attachment is not None and attachment.case_id == case_id


@bp.post("/tasks/<int:item_id>/reassign")
@allow(*WORKING_ROLES)
def reassign(item_id: int) -> Response:
    item = _visible_item(item_id)
    person = request.form.get("person_id", "")
    try:
        done = reassignment.reassign(
            db.session(),
            HOST,
            me(),
            item.id,
            int(person) if person.isdigit() else 0,
            request.form.get("reason", ""),
        )
    except (NotAllowed, TaskConflict) as refused:
        db.session().rollback()
        flash(f"未转派：{refused}", "error")
        return redirect(url_for("tasks.show", item_id=item_id) + "#reassign")
    flash(f"“{done.title}”已转派", "success")
    return redirect(url_for("tasks.show", item_id=item_id))


@bp.post("/tasks/<int:item_id>/comments")
@allow(*WORKING_ROLES)
def comment(item_id: int) -> Response:
    item = _visible_item(item_id)
    try:
        once.claim()
        files.add_comment(db.session(), me(), item.case_id, request.form.get("text", ""))
        flash("意见已添加", "success")
    except AlreadySubmitted:
        db.session().rollback()
        flash("意见已添加（重复提交的同一条意见未再添加）", "info")
    except CampaignError as exc:
        db.session().rollback()
        flash(str(exc), "error")
    return redirect(url_for("tasks.show", item_id=item.id) + "#comments")


@bp.get("/files/<int:attachment_id>")
@allow(*WORKING_ROLES)
def download(attachment_id: int) -> Response:
    attachment = found(db.session().get(Attachment, attachment_id))
    if not visibility.may_see_case(db.session(), me(), attachment.case_id):
        abort(404)
    return send_file(
        files.open_file(data_dir(), attachment),
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.filename,
    )


@bp.get("/cases/<int:case_id>/diagram.bpmn")
@allow(*WORKING_ROLES)
def diagram(case_id: int) -> Response:
    if not visibility.may_see_case(db.session(), me(), case_id):
        abort(404)
    case = found(db.session().get(Case, case_id))
    return Response(case.definition.bpmn_xml, mimetype="application/xml")
