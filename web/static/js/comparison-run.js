// The 数据比对 page: while a comparison runs, its progress is asked for every two seconds.
(function () {
  var box = document.getElementById('run-progress');
  if (!box || box.dataset.finished === 'yes' || !window.fetch) { return; }
  var set = function (name, value) {
    var el = box.querySelector('.' + name);
    if (el) { el.textContent = value; }
  };
  var poll = function () {
    fetch(box.dataset.url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (answer) { return answer.json(); })
      .then(function (run) {
        set('run-status', run.status_label);
        set('run-done', run.done);
        set('run-total', run.total);
        set('run-current', run.current || '');
        set('run-raised', run.raised);
        set('run-cases', run.cases);
        set('run-message', run.message || '');
        var bar = box.querySelector('.bar');
        if (bar) { bar.style.width = run.percent + '%'; }
        set('label', run.percent + '%');
        box.querySelector('.progress').setAttribute('aria-valuenow', run.percent);
        if (run.finished) {
          box.dataset.finished = 'yes';
          window.location.reload();  // the new 疑点 and hit rates
        } else {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  };
  window.setTimeout(poll, 2000);
}());
