// A choice that depends on another field (macros/forms.html: data-depends-on), such as the
// village of the township chosen, is fetched again whenever that field changes: the page is
// sent with none of them, a province having 25,000 villages. Without this script the form
// still works: the villages come with the page shown again after a first submission.
(function () {
  function follow(select) {
    var other = select.form && select.form.elements[select.dataset.dependsOn];
    if (!other) { return; }
    var first = select.options[0];
    var asked = 0;  // only the answer to the latest change is shown
    other.addEventListener('change', function () {
      var value = other.value;
      var kept = select.value;
      var mine = ++asked;
      select.length = 1;
      if (!value) { first.textContent = select.dataset.waiting; return; }
      first.textContent = '正在读取……';
      select.disabled = true;
      var url = select.dataset.optionsUrl + '?' +
        new URLSearchParams([[select.dataset.dependsOn, value]]).toString();
      fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
        .then(function (answer) {
          if (!answer.ok) { throw new Error(String(answer.status)); }
          return answer.json();
        })
        .then(function (data) {
          if (mine !== asked) { return; }
          data.options.forEach(function (option) {
            select.add(new Option(option.label, option.value, false, option.value === kept));
          });
          first.textContent = '请选择';
        })
        .catch(function () {
          if (mine === asked) { first.textContent = '读取失败，请稍后重新选择'; }
        })
        .finally(function () { if (mine === asked) { select.disabled = false; } });
    });
  }
  function start() {
    Array.prototype.forEach.call(document.querySelectorAll('select[data-depends-on]'), follow);
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
