from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from werkzeug.wrappers import Response

from campaign import (
    campaign_cases,
    choices,
    disclosures,
    files,
    key_check_revisits,
    ledger_effects,
    reassignment,
    records,
    report_review,
    spot_check_lists,
    spot_checks,
    submissions,
    tasks,
    tip_offs,
)
from campaign.actors import actor_for
from campaign.comparison import verification
from campaign.masking import mask_text
from campaign.models import (
    Attachment,
    Clue,
    Discrepancy,
    Evaluation,
    Inspection,
    KeyCheck,
    Obligation,
    Problem,
    SupervisionPart,
    TipOff,
    User,
)
from core.errors import AppError, Conflict, EngineFailure, TryAgain
from core.numbers import row_id
from engine import cases
from engine.host import Assignment
from engine.models import Case, CaseEvent, WorkItem
from engine.projection import context_of
from forms import registry
from web import db, errors, once
from web.authz import allow
from web.common import HOST, data_dir, form_values, found, me
from web.comparison import panel as comparison_panel
from web.roles import WORKING_ROLES

bp = Blueprint("tasks", __name__)


def _visible_item(item_id: int, *, to_change: bool = False) -> WorkItem:
    return found(campaign_cases.visible_item(db.session(), me(), item_id, to_change=to_change))


def _page(
    item: WorkItem,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    unsent: dict[str, Any] | None = None,
    full_numbers: bool = False,
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
            elif spec.type == "files":  # evidence already with the case, to choose from
                options[spec.name] = [
                    (str(a.id), a.filename) for a in files.of_case(session, case.id)
                ]
    subject = records.record_of(session, case)
    # The commission's tasks show the clue and the entry it came from, with the money the
    # unit recorded at rectification: the commission records only money beyond it.
    clue = subject if isinstance(subject, Clue) else None
    problem = subject if isinstance(subject, Problem) else None
    if clue is not None:
        problem = clue.problem
    tip_off = subject if isinstance(subject, TipOff) else None
    # The township's spot check: its sample, household by household, on the task page.
    sample = (
        spot_checks.sheet(session, subject)
        if isinstance(subject, Obligation) and subject.deadline_code == spot_checks.SPOT_CHECK
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
    # Whoever else holds or finished the task is named, and no editable form is shown.
    holder_id = item.claimed_by if item.state == "open" else item.completed_by
    holder = session.get(User, holder_id) if holder_id and holder_id != me().id else None
    return render_template(
        "tasks/show.html",
        holder=holder,
        unsent=unsent,
        returned_note=_returned_note(history),
        previous=_previous_step(history, item),
        disclosure=_disclosure(session, item, problem, history),
        item=item,
        case=case,
        form=form,
        values=values,
        errors=errors,
        options=options,
        problem=problem,
        clue=clue,
        tip_off=tip_off,
        supervision_part=subject if isinstance(subject, SupervisionPart) else None,
        inspection=subject if isinstance(subject, Inspection) else None,
        evaluation=subject if isinstance(subject, Evaluation) else None,
        tip_off_account=mask_text(tip_off.account) if tip_off is not None else "",
        discrepancy=comparison_panel.panel(session, data_dir(), me(), subject, full_numbers),
        report=subject if isinstance(subject, Obligation) else None,
        pending=(
            report_review.pending_report(session, subject)
            if isinstance(subject, Obligation)
            and item.bpmn_id == report_review.UNIT_REVIEW_STEP
            and item.state == "open"
            else None
        ),
        sheet=sample,
        revisit_report=(
            key_check_revisits.spot_check_of(session, subject)
            if isinstance(subject, KeyCheck)
            else None
        ),
        labels=spot_check_lists,
        sample_may_record=(sample is not None and spot_checks.may_record(me(), sample.obligation)),
        history=history,
        attachments=files.of_case(session, case.id),
        comments=files.comments_of_case(session, case.id),
        open_steps=open_steps,
        may_act=may_act,
        reassign_to=(
            reassignment.candidates(session, item, by=me())
            if reassignment.may_reassign(me(), item)
            else None
        ),
    ), status


def _disclosure(
    session: Any, item: WorkItem, problem: Problem | None, history: list[CaseEvent]
) -> dict[str, str] | None:
    """公示审批 decides on a text: the text as drafted and as the public will read it."""
    if item.form_key != "approve_disclosure" or problem is None:
        return None
    drafted = ""
    for event in history:
        data = json.loads(event.data) if event.kind == "task_completed" and event.data else {}
        if isinstance(data, dict) and isinstance(data.get("public_text"), str):
            drafted = data["public_text"]
    drafted = drafted or problem.public_text
    return {"drafted": drafted, "public": disclosures.masked(session, problem, drafted)}


def _previous_step(history: list[CaseEvent], item: WorkItem) -> dict[str, Any] | None:
    """The step done before this one: who decided what, and why, to read before deciding."""
    before = [
        e
        for e in history
        if e.kind == "task_completed" and (item.created_at is None or e.at <= item.created_at)
    ]
    if not before:
        return None
    event = before[-1]
    data = json.loads(event.data) if event.data else {}
    if not isinstance(data, dict):
        data = {}
    decision = next(
        (
            _DECISIONS.get(str(value), str(value))
            for name, value in data.items()
            if name.endswith("_decision") and value
        ),
        "",
    )
    return {
        "event": event,
        "decision": decision,
        "note": tasks.decision_note(data),
        "sent_back": tasks.sends_back(data),
    }


_DECISIONS = {
    "approve": "同意",
    "accept": "通过",
    "return": "退回",
    "reject": "不同意",
    "void": "提请作废",
}


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
    problem = records.record_of(db.session(), case) if case is not None else None
    if isinstance(problem, TipOff):
        return tip_offs.prefill(problem, item.form_key)
    if isinstance(problem, Discrepancy):
        return verification.prefill(db.session(), problem, item.form_key)
    if not isinstance(problem, Problem):
        return {}
    if item.form_key == "correct_registration":
        return ledger_effects.registration_values(problem)
    if item.form_key == "review_registration":
        return ledger_effects.proposed_responsibility(problem)
    if item.form_key == "rectify":
        return ledger_effects.rectification_values(problem)
    return {}


@bp.get("/tasks/<int:item_id>")
@allow(*WORKING_ROLES)
def show(item_id: int) -> ResponseReturnValue:
    item = _visible_item(item_id)
    return _page(item, _prefill(item), {})


@bp.post("/tasks/<int:item_id>/full-numbers")
@allow(*WORKING_ROLES)
def full_numbers(item_id: int) -> ResponseReturnValue:
    """查看完整号码: the task page with the 疑点's numbers in full (audited), for its officer."""
    item = _visible_item(item_id)
    return _page(item, _prefill(item), {}, full_numbers=True)


@bp.post("/tasks/<int:item_id>")
@allow(*WORKING_ROLES)
def complete(item_id: int) -> ResponseReturnValue:
    session = db.session()
    # Said before the read that locks the task's case: should the wait for that lock be given
    # up (core.lock_waits), the form still comes back with what was typed.
    errors.on_refusal(lambda error: _refused(item_id, _typed(item_id), error))
    item = _visible_item(item_id, to_change=True)
    if not item.form_key:  # a manual task: the person confirms it is done
        errors.on_refusal(lambda error: _refused(item_id, {}, error))
        done = tasks.complete(session, HOST, me(), item.id, {})
        flash(f"“{done.item.title}”已确认完成", "success")
        return redirect(url_for("inbox.index"))
    form = found(registry.get(item.form_key))
    values = form_values(request.form, form)
    errors.on_refusal(lambda error: _refused(item_id, values, error))
    # Files are stored only for whoever may complete the task now: a refused completion
    # keeps them with the case, which nobody else may fill.
    may_upload = tasks.may_complete(session, HOST, me(), item)
    for spec in form.fields:
        if spec.type == "files" and may_upload:
            uploads = [f for f in request.files.getlist(f"{spec.name}__upload") if f.filename]
            for upload in uploads:
                attachment = files.store(
                    session, data_dir(), me(), item.case_id, upload.filename or "", upload.stream
                )
                # Should the form be refused, the file stays with the case and the form
                # comes back with it attached: nobody uploads the same evidence twice.
                files.keep_through_refusal(session, [attachment])
                if str(attachment.id) not in values[spec.name]:  # kept, and chosen again
                    values[spec.name] = [str(attachment.id), *values[spec.name]]
    done = tasks.complete(session, HOST, me(), item.id, values)
    flash(f"“{done.item.title}”已办理完毕", "success")
    return redirect(url_for("inbox.index"))


def _typed(item_id: int) -> dict[str, Any]:
    """What the request's form holds for the task's fields."""
    form = registry.get(_visible_item(item_id).form_key or "")
    return form_values(request.form, form) if form is not None else {}


def _refused(item_id: int, values: dict[str, Any], error: AppError) -> ResponseReturnValue:
    """The task page again, after the rollback: with every input and the reason, or, when the
    task changed meanwhile, as it is now."""
    item = _visible_item(item_id)
    if isinstance(error, Conflict):
        # The task changed since the form was opened (claimed or completed by someone else,
        # or a second submission): the page shows it as it is now, and what was typed is
        # listed below it rather than lost.
        flash(f"未提交：{error}", "warning")
        return _page(item, {}, {}, error.status, unsent=values)
    if isinstance(error, TryAgain):  # nothing was wrong with it: the same form, again later
        flash(f"未提交：{error}", "warning")
        return _page(item, values, {}, error.status)
    if isinstance(error, EngineFailure):
        flash(f"办理失败：{error}", "error")
        return _page(item, values, {}, error.status)
    fields = errors.field_errors(error)
    return _page(item, values, fields, 422)


@bp.post("/tasks/<int:item_id>/reassign")
@allow(*WORKING_ROLES)
def reassign(item_id: int) -> Response:
    item = _visible_item(item_id, to_change=True)
    errors.on_refusal(
        errors.back_to(url_for("tasks.show", item_id=item_id) + "#reassign", prefix="未转派：")
    )
    person = request.form.get("person_id", "")
    done = reassignment.reassign(
        db.session(),
        HOST,
        me(),
        item.id,
        row_id(person) or 0,
        request.form.get("reason", ""),
    )
    flash(f"“{done.title}”已转派", "success")
    return redirect(url_for("tasks.show", item_id=item_id))


@bp.post("/tasks/<int:item_id>/comments")
@allow(*WORKING_ROLES)
def comment(item_id: int) -> Response:
    item = _visible_item(item_id)
    back = url_for("tasks.show", item_id=item.id) + "#comments"
    errors.on_refusal(errors.back_to(back))
    submission = once.claim()
    files.add_comment(db.session(), me(), item.case_id, request.form.get("text", ""))
    submissions.record(submission, "意见已添加。", back)
    flash("意见已添加", "success")
    return redirect(back)


@bp.get("/files/<int:attachment_id>")
@allow(*WORKING_ROLES)
def download(attachment_id: int) -> Response:
    attachment = found(db.session().get(Attachment, attachment_id))
    if not records.may_see_case(db.session(), me(), attachment.case_id):
        abort(404)
    return send_file(
        files.download(db.session(), me(), data_dir(), attachment),
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.filename,
    )


@bp.get("/cases/<int:case_id>/diagram.bpmn")
@allow(*WORKING_ROLES)
def diagram(case_id: int) -> Response:
    if not records.may_see_case(db.session(), me(), case_id):
        abort(404)
    case = found(db.session().get(Case, case_id))
    return Response(case.definition.bpmn_xml, mimetype="application/xml")
