from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from campaign import audit, deployment
from campaign.actors import actor_for
from core.errors import MalformedRequest
from engine import definitions as process_definitions
from engine import migration
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
    return render_template(
        "admin/definition.html",
        key=key,
        versions=versions,
        previews=migration.preview(session, key),
    )


@bp.get("/definitions/<key>/xml")
@allow(ADMIN)
def definition_xml(key: str) -> Response:
    version = request.args.get("version", type=int)
    query = select(ProcessDefinition).where(ProcessDefinition.key == key)
    if version is not None:
        query = query.where(ProcessDefinition.version == version)
    chosen = found(db.session().scalars(query.order_by(ProcessDefinition.version.desc())).first())
    return Response(chosen.bpmn_xml, mimetype="application/xml")


@bp.get("/modeler")
@allow(ADMIN)
def modeler() -> str:
    key = request.args.get("key", "")
    return render_template("admin/modeler.html", key=key)


@bp.post("/definitions/deploy")
@allow(ADMIN)
def deploy() -> ResponseReturnValue:
    payload = request.get_json(silent=True) or {}
    xml = payload.get("xml")
    if not isinstance(xml, str) or not xml.strip():
        raise MalformedRequest("没有收到流程图")
    definition, created = deployment.deploy(db.session(), HOST, xml, by=me(), source="modeler")
    return jsonify({"key": definition.key, "version": definition.version, "created": created}), (
        201 if created else 200
    )


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
    flash(f"案件 {case_id} 已迁移到 v{result.to_version}", "success")
    return redirect(back)
