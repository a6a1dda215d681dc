"""Bringing a database to a working state: reference data, the shipped process definitions,
and optionally the demo. Idempotent: `ykt init` runs it on every start."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from campaign import demo, demo_cases
from campaign.comparison import rules as comparison_rules
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


def deploy_shipped(session: Session, host: CampaignHost, xml: str, shipped_by: str) -> str:
    """A shipped diagram is deployed when the product brings one the database has never had,
    and only over a version that was shipped too: a version an administrator deployed later
    stays the one new cases use (re-running `ykt init` used to deploy the shipped diagram
    again on top of it, silently undoing the administrator's change)."""
    key = definitions.process_key(xml)
    known = {d.sha256: d for d in definitions.all_versions(session, key)}
    digest = definitions.text_digest(xml)
    latest = definitions.latest_version(session, key)
    if digest in known:
        kept = latest or known[digest]
        return f"未变化 {kept.key} v{kept.version}（{kept.name}）"
    if latest is not None and latest.deployed_by != shipped_by:
        return (
            f"未覆盖 {latest.key} v{latest.version}（{latest.name}）：管理员部署的版本保持不变；"
            "本次升级带来的出厂流程可在“流程定义”中比对后自行部署"
        )
    definition, _ = definitions.deploy(session, xml, host, deployed_by=shipped_by)
    return f"已部署 {definition.key} v{definition.version}（{definition.name}）"


def initialise(
    session: Session,
    *,
    with_demo: bool,
    data_dir: Path | None = None,
    deployed_by: str = "ykt init",
) -> InitReport:
    campaign = load_reference_data(session)
    report = InitReport(f"{campaign.name}（{campaign.year}）")
    comparison_rules.add_missing_rules(session, by=deployed_by)
    host = CampaignHost()
    for path in shipped_diagrams():
        report.deployed.append(
            deploy_shipped(session, host, path.read_text(encoding="utf-8"), deployed_by)
        )
    if with_demo:
        report.demo_accounts_created = len(demo.load_demo_data(session, campaign))
        if data_dir is not None:  # demo problems carry evidence files, which need a home
            report.demo_problems_created = demo_cases.load_demo_cases(session, data_dir)
    return report
