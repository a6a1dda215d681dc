"""Bringing a database to a working state: reference data, the shipped process definitions,
and optionally the demo. Idempotent: `ykt init` runs it on every start."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from campaign import demo, demo_cases
from campaign.reference import load_reference_data
from campaign.workflow_host import CampaignHost
from engine import definitions
from workflows import shipped_diagrams


@dataclass
class InitReport:
    campaign: str
    deployed: list[str] = field(default_factory=list)
    demo_accounts_created: int | None = None
    demo_problems_created: int = 0


def initialise(
    session: Session,
    *,
    with_demo: bool,
    data_dir: Path | None = None,
    deployed_by: str = "ykt init",
) -> InitReport:
    campaign = load_reference_data(session)
    report = InitReport(f"{campaign.name}（{campaign.year}）")
    host = CampaignHost()
    for path in shipped_diagrams():
        definition, created = definitions.deploy(
            session, path.read_text(encoding="utf-8"), host, deployed_by=deployed_by
        )
        state = "已部署" if created else "未变化"
        report.deployed.append(
            f"{state} {definition.key} v{definition.version}（{definition.name}）"
        )
    if with_demo:
        report.demo_accounts_created = len(demo.load_demo_data(session, campaign))
        if data_dir is not None:  # demo problems carry evidence files, which need a home
            report.demo_problems_created = demo_cases.load_demo_cases(session, data_dir)
    return report
