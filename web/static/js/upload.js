// Shows upload progress for the ledger import, then the server's answer as a new page.
(function () {
  var form = document.getElementById('import-form');
  var box = document.getElementById('import-progress');
  if (!form || !box || !window.XMLHttpRequest) { return; }
  var bar = box.querySelector('.bar');
  var label = box.querySelector('.label');
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var request = new XMLHttpRequest();
    request.open('POST', form.action || window.location.href);
    box.hidden = false;
    request.upload.addEventListener('progress', function (e) {
      if (!e.lengthComputable) { return; }
      var percent = Math.round(e.loaded * 100 / e.total);
      bar.style.width = percent + '%';
      label.textContent = percent < 100 ? '正在上传 ' + percent + '%' : '上传完成，正在逐行校验并导入…';
    });
    request.addEventListener('load', function () {
      document.open();
      document.write(request.responseText);
      document.close();
    });
    request.addEventListener('error', function () {
      label.textContent = '上传失败，请重试';
      form.dispatchEvent(new Event('send-failed', { bubbles: true }));
    });
    request.send(new FormData(form));
  });
}());
