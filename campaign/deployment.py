"""Deploying a process definition, the same from the modeler, the API and `ykt deploy`: the
engine validates and stores the new version, the audit log records who deployed what, or
who tried to deploy a diagram that was refused and why."""

from __future__ import annotations

from sqlalchemy.orm import Session

from campaign import audit
from campaign.models import User
from engine import definitions
from engine.errors import DeploymentRefused
from engine.host import EngineHost
from engine.models import ProcessDefinition


def deploy(
    session: Session,
    host: EngineHost,
    xml: bytes | str,
    *,
    by: User | None = None,
    by_name: str = audit.CLI_ACTOR,
    source: str,
) -> tuple[ProcessDefinition, bool]:
    """Deploy a diagram as a new version (or find it unchanged); raises DeploymentRefused,
    storing nothing, when it has findings. `by` is None on the command line, which names
    whoever deploys (`by_name`)."""
    name = by.username if by is not None else by_name
    try:
        definition, created = definitions.deploy(session, xml, host, deployed_by=name)
    except DeploymentRefused as refused:
        # Kept: the refusal rolls the attempt back, its record stays.
        audit.record_refusal(
            session,
            "definition.deploy",
            actor=by,
            actor_name=name,
            source=source,
            findings=[str(finding) for finding in refused.findings],
        )
        raise
    audit.record(
        session,
        "definition.deploy",
        actor=by,
        actor_name=name,
        target=f"definition:{definition.key}",
        source=source,
        version=definition.version,
        created=created,
    )
    return definition, created


def deploy_files(
    session: Session,
    host: EngineHost,
    files: list[tuple[str, bytes | str]],
    *,
    by: User | None = None,
    by_name: str = audit.CLI_ACTOR,
    source: str,
) -> list[definitions.Deployed]:
    """Deploy BPMN and DMN files together (engine.definitions.deploy_files): all of them or,
    when any has a finding, none."""
    name = by.username if by is not None else by_name
    try:
        deployed = definitions.deploy_files(session, files, host, deployed_by=name)
    except DeploymentRefused as refused:
        audit.record_refusal(
            session,
            "definition.deploy",
            actor=by,
            actor_name=name,
            source=source,
            files=[file_name for file_name, _ in files],
            findings=[str(finding) for finding in refused.findings],
        )
        raise
    for item in deployed:
        audit.record(
            session,
            "definition.deploy" if item.kind == "process" else "decision.deploy",
            actor=by,
            actor_name=name,
            target=f"{'definition' if item.kind == 'process' else 'decision'}:{item.key}",
            source=source,
            version=item.version,
            created=item.created,
        )
    return deployed
