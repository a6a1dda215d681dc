from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from campaign import audit, deployment, records
from campaign.actors import actor_for
from core.errors import MalformedRequest
from core.numbers import row_id
from engine import bundles, migration
from engine import definitions as process_definitions
from engine.models import Case, ProcessDefinition
from web import db, errors
from web.admin.blueprint import bp
from web.authz import allow
from web.common import HOST, found, me
from web.roles import ADMIN


@bp.get("/definitions")
@allow(ADMIN)
def definitions() -> str:
    session = db.session()
    latest = [
        process_definitions.require_latest(session, key)
        for key, _version in process_definitions.versions(session)
    ]
    active = dict(
        session.execute(
            select(ProcessDefinition.key, func.count(Case.id))
            .join(Case, Case.definition_id == ProcessDefinition.id)
            .where(Case.status.in_(migration.ACTIVE))
            .group_by(ProcessDefinition.key)
        )
        .tuples()
        .all()
    )
    return render_template("admin/definitions.html", latest=latest, active=active)


@bp.get("/definitions/<key>")
@allow(ADMIN)
def definition(key: str) -> str:
    session = db.session()
    versions = list(
        session.scalars(
            select(ProcessDefinition)
            .where(ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version.desc())
        )
    )
    if not versions:
        abort(404)
    previews = migration.preview(session, key)
    return render_template(
        "admin/definition.html",
        key=key,
        versions=versions,
        previews=previews,
        subjects=_subjects(session, [p.case_id for p in previews]),
        steps=_step_names(versions),
        calls={v.id: bundles.summary(v.bundle) for v in versions},
    )


def _subjects(session: Session, case_ids: list[int]) -> dict[int, str]:
    """What each case is about, as its people know it (问题 2022-QSZ-0001), not its id."""
    found_cases = list(session.scalars(select(Case).where(Case.id.in_(case_ids))))
    records_by_case = records.records_of(session, found_cases)
    names = {}
    for case in found_cases:
        kind, record = records.kind_of(case), records_by_case.get(case.id)
        names[case.id] = (
            kind.describe(record, case)[0]
            if kind is not None and record is not None
            else f"{case.definition.name}（{case.started_at:%Y-%m-%d} 发起）"
        )
    return names


def _case_name(session: Session, case_id: int) -> str:
    return _subjects(session, [case_id]).get(case_id, f"案件 {case_id}")


def _step_names(versions: list[ProcessDefinition]) -> dict[str, str]:
    """The names of the steps of every version, by element id (a newer name wins)."""
    names: dict[str, str] = {}
    for version in reversed(versions):
        root = etree.fromstring(version.bpmn_xml.encode(), parser=_PARSER)
        for element in root.iter():
            ident, name = element.get("id"), element.get("name")
            if ident and name:
                names[ident] = " ".join(name.split())
    return names


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


@bp.get("/definitions/<key>/xml")
@allow(ADMIN)
def definition_xml(key: str) -> Response:
    asked = request.args.get("version")
    version = row_id(asked) if asked else None
    if asked and version is None:
        abort(404)
    query = select(ProcessDefinition).where(ProcessDefinition.key == key)
    if version is not None:
        query = query.where(ProcessDefinition.version == version)
    chosen = found(db.session().scalars(query.order_by(ProcessDefinition.version.desc())).first())
    return Response(chosen.bpmn_xml, mimetype="application/xml")


@bp.get("/modeler")
@allow(ADMIN)
def modeler() -> str:
    key = request.args.get("key", "")
    latest = process_definitions.latest_version(db.session(), key) if key else None
    return render_template("admin/modeler.html", key=key, name=latest.name if latest else "")


@bp.post("/definitions/deploy")
@allow(ADMIN)
def deploy() -> ResponseReturnValue:
    """The diagram being edited, with the files chosen beside it (DMN decision tables, and
    BPMN diagrams its call activities name), deployed together."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise MalformedRequest("没有收到流程图")
    xml = payload.get("xml")
    if not isinstance(xml, str) or not xml.strip():
        raise MalformedRequest("没有收到流程图")
    files: list[tuple[str, bytes | str]] = [("流程图.bpmn", xml)]
    for item in payload.get("files") or []:
        name = item.get("name") if isinstance(item, dict) else None
        content = item.get("content") if isinstance(item, dict) else None
        if not isinstance(name, str) or not isinstance(content, str) or not content.strip():
            raise MalformedRequest("随附的文件须有文件名和内容")
        files.append((name[:200], content))
    deployed = deployment.deploy_files(db.session(), HOST, files, by=me(), source="modeler")
    key = process_definitions.process_key(xml)
    (drawn,) = [d for d in deployed if d.kind == "process" and d.key == key]
    return jsonify(
        {
            "key": drawn.key,
            "name": drawn.name,
            "version": drawn.version,
            "created": drawn.created,
            "also": [
                {"kind": d.kind, "key": d.key, "version": d.version, "created": d.created}
                for d in deployed
                if d is not drawn
            ],
        }
    ), (201 if drawn.created else 200)


@bp.post("/definitions/<key>/migrate/<int:case_id>")
@allow(ADMIN)
def migrate(key: str, case_id: int) -> Response:
    back = url_for("admin.definition", key=key)
    errors.on_refusal(errors.back_to(back, prefix="未迁移："))
    session = db.session()
    result = migration.migrate(session, HOST, case_id, to_version=None, actor=actor_for(me()))
    audit.record(
        session, "case.migrate", actor=me(), target=f"case:{case_id}", to_version=result.to_version
    )
    flash(f"{_case_name(session, case_id)} 已迁移到第{result.to_version}版", "success")
    return redirect(back)
