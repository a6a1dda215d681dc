"""Every shipped diagram opens in the bpmn-js modeler (with the Camunda extension) without
a single import warning, so administrators can edit it in the browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from workflows import shipped_diagrams

pytestmark = pytest.mark.browser

IMPORT = """
async (xml) => {
  const camunda = await (await fetch('/static/vendor/properties-panel/camunda.json')).json();
  const container = document.createElement('div');
  container.style.width = '1600px';
  container.style.height = '900px';
  document.body.appendChild(container);
  const modeler = new BpmnJS({container, moddleExtensions: {camunda}});
  const result = await modeler.importXML(xml);
  const registry = modeler.get('elementRegistry');
  const userTasks = registry.filter(e => e.type === 'bpmn:UserTask');
  return {
    warnings: result.warnings.map(w => w.message),
    shapes: registry.getAll().length,
    formKeys: userTasks.map(t => t.businessObject.get('camunda:formKey')),
  };
}
"""


@pytest.mark.parametrize("path", shipped_diagrams(), ids=lambda p: p.stem)
def test_shipped_diagram_opens_cleanly(live_server: str, page: Page, path: object) -> None:
    from pathlib import Path

    assert isinstance(path, Path)
    page.goto(live_server + "/login")
    page.add_script_tag(url="/static/vendor/bpmn-js/bpmn-modeler.production.min.js")
    result = page.evaluate(IMPORT, path.read_text(encoding="utf-8"))
    assert result["warnings"] == []
    assert result["shapes"] > 5
    assert all(result["formKeys"]), "every user task keeps its camunda:formKey in the modeler"
