// Shows a case's diagram with its current steps highlighted (bpmn-js navigated viewer).
(function () {
  var box = document.getElementById('diagram');
  if (!box || typeof BpmnJS === 'undefined') { return; }
  var viewer = new BpmnJS({ container: box });
  fetch(box.dataset.xml, { credentials: 'same-origin' })
    .then(function (response) { return response.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get('canvas');
      canvas.zoom('fit-viewport');
      (box.dataset.current || '').split(',').filter(Boolean).forEach(function (id) {
        try { canvas.addMarker(id, 'current-step'); } catch (e) { /* step not drawn */ }
      });
      box.dataset.ready = 'true';
    })
    .catch(function (error) { box.textContent = '流程图加载失败：' + error.message; });
}());
