"""The BPMN process definitions the product ships; `ykt init` deploys every *.bpmn here."""

from pathlib import Path

WORKFLOWS_DIR = Path(__file__).resolve().parent


def shipped_diagrams() -> list[Path]:
    return sorted(WORKFLOWS_DIR.glob("*.bpmn"))
