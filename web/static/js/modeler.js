// The BPMN modeler with the Camunda properties panel: edit, validate on the server, deploy.
(function () {
  var root = document.getElementById('modeler');
  if (!root || typeof BpmnJS === 'undefined') { return; }
  var panel = window.BpmnJSPropertiesPanel;
  var result = document.getElementById('deploy-result');
  var marked = [];
  var EMPTY = '<?xml version="1.0" encoding="UTF-8"?>' +
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" ' +
    'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" ' +
    'id="defs" targetNamespace="http://ykt.local/workflows">' +
    '<bpmn:process id="new_process" name="新流程" isExecutable="true"><bpmn:startEvent id="start"/></bpmn:process>' +
    '<bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="p" bpmnElement="new_process">' +
    '<bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="180" y="160" width="36" height="36"/></bpmndi:BPMNShape>' +
    '</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>';

  function show(kind, html) { result.className = 'flash flash-' + kind; result.innerHTML = html; }
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }

  // The whole diagram in view, to the right of the palette (which floats over the canvas).
  function fitBesidePalette(modeler) {
    var canvas = modeler.get('canvas');
    canvas.zoom('fit-viewport');
    var palette = root.querySelector('.djs-palette');
    if (!palette) { return; }
    var margin = palette.getBoundingClientRect().width + 24;
    for (var round = 0; round < 2; round += 1) {
      var box = canvas.viewbox();
      var extra = margin / box.scale;
      canvas.viewbox({ x: box.inner.x - extra, y: box.inner.y - 12 / box.scale,
                       width: box.inner.width + extra + 12 / box.scale,
                       height: box.inner.height + 24 / box.scale });
    }
    // A diagram of one or two shapes (新建流程's lone start event) is not blown up to fill
    // the canvas: never larger than drawn, in the middle.
    if (canvas.zoom() > 1) { canvas.zoom(1, 'auto'); }
  }

  // A finding names the element by its name where it has one, its id otherwise.
  function elementName(registry, id) {
    if (!id) { return '整个文件'; }
    var element = registry.get(id);
    var name = element && element.businessObject && element.businessObject.name;
    return name ? name + '（' + id + '）' : id;
  }

  fetch(root.dataset.camundaUrl).then(function (r) { return r.json(); }).then(function (camunda) {
    var modeler = new BpmnJS({
      container: '#canvas',
      propertiesPanel: { parent: '#properties' },
      additionalModules: [panel.BpmnPropertiesPanelModule, panel.BpmnPropertiesProviderModule,
                          panel.CamundaPlatformPropertiesProviderModule, window.yktModelerTranslate],
      moddleExtensions: { camunda: camunda }
    });
    window.yktModeler = modeler;
    var source = root.dataset.xmlUrl
      ? fetch(root.dataset.xmlUrl, { credentials: 'same-origin' }).then(function (r) { return r.text(); })
      : Promise.resolve(EMPTY);
    source.then(function (xml) { return modeler.importXML(xml); })
      .then(function () { fitBesidePalette(modeler); root.dataset.ready = 'true'; })
      .catch(function (error) { show('error', '流程图加载失败：' + escapeHtml(error.message)); });

    var confirmDialog = document.getElementById('deploy-confirm');
    document.getElementById('deploy').addEventListener('click', function () {
      confirmDialog.showModal();
    });
    confirmDialog.addEventListener('close', function () {
      if (confirmDialog.returnValue === 'deploy') { deploy(); }
    });

    function deploy() {
      var canvas = modeler.get('canvas');
      marked.forEach(function (id) { try { canvas.removeMarker(id, 'has-problem'); } catch (e) {} });
      marked = [];
      var chosen = Array.prototype.slice.call(document.getElementById('bundle-files').files || []);
      var reads = chosen.map(function (file) {
        return file.text().then(function (content) { return { name: file.name, content: content }; });
      });
      Promise.all([modeler.saveXML({ format: true }), Promise.all(reads)]).then(function (both) {
        return fetch(root.dataset.deployUrl, {
          method: 'POST', credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', 'X-CSRFToken': root.dataset.csrf },
          body: JSON.stringify({ xml: both[0].xml, files: both[1] })
        });
      }).then(function (response) {
        return response.json().then(function (body) { return { status: response.status, body: body }; });
      }).then(function (answer) {
        if (answer.status === 201 || answer.status === 200) {
          var also = (answer.body.also || []).map(function (d) {
            return (d.kind === 'decision' ? '决策 ' : '流程 ') + escapeHtml(d.key) + ' 第' + d.version +
                   '版' + (d.created ? '' : '（内容未变化）');
          });
          show('success', '已部署：' + escapeHtml(answer.body.name || answer.body.key) + ' 第' +
               answer.body.version + '版' + (answer.body.created ? '' : '（内容未变化）') +
               (also.length ? '；同时部署：' + also.join('、') : ''));
          return;
        }
        var registry = modeler.get('elementRegistry');
        var findings = answer.body.findings || [{ element_id: '', message: answer.body.error || '部署失败' }];
        var items = findings.map(function (p) {
          if (p.element_id && registry.get(p.element_id)) {
            canvas.addMarker(p.element_id, 'has-problem');
            marked.push(p.element_id);
          }
          return '<li data-element="' + escapeHtml(p.element_id) + '">' +
                 escapeHtml(elementName(registry, p.element_id)) + '：' + escapeHtml(p.message) + '</li>';
        });
        show('error', '未部署，请修改以下问题：<ul class="problems">' + items.join('') + '</ul>');
      }).catch(function (error) { show('error', '部署失败：' + escapeHtml(error.message)); });
    }

    result.addEventListener('click', function (event) {
      var id = event.target.getAttribute && event.target.getAttribute('data-element');
      var element = id && modeler.get('elementRegistry').get(id);
      if (element) { modeler.get('selection').select(element); }
    });
  });
}());
