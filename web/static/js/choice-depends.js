// A choice that depends on another field (macros/forms.html: data-depends-on), such as the
// village of the township chosen, is fetched again whenever that field changes: the page is
// sent with none of them, a province having 25,000 villages. Where this script cannot run
// (no script, or a browser without fetch), the button beside the choice sends the form to be
// shown again with the choices for what is chosen, saving nothing; here it is hidden.
(function () {
  if (!window.fetch || !window.URLSearchParams) { return; }

  function follow(select) {
    var other = select.form && select.form.elements[select.dataset.dependsOn];
    if (!other) { return; }
    var button = select.form.querySelector('.refresh-choices[data-for="' + select.id + '"]');
    if (button) { button.hidden = true; }
    var first = select.options[0];
    var status = document.createElement('span');
    status.className = 'hint';
    status.setAttribute('aria-live', 'polite');
    select.insertAdjacentElement('afterend', status);
    // Offered when a load failed (a dropped connection): the same township again without
    // choosing it a second time.
    var retry = document.createElement('button');
    retry.type = 'button';
    retry.className = 'small choice-retry';
    retry.textContent = '重新读取' + select.dataset.label;
    retry.hidden = true;
    status.insertAdjacentElement('afterend', retry);
    var asked = 0;  // only the answer to the latest change is shown

    function settle(mine, text, failed) {
      if (mine !== asked) { return; }
      select.removeAttribute('aria-busy');
      status.textContent = text;
      retry.hidden = !failed;
    }

    function load() {
      var value = other.value;
      var kept = select.value;
      var mine = ++asked;
      select.length = 1;
      retry.hidden = true;
      if (!value) {
        first.textContent = select.dataset.waiting;
        settle(mine, '', false);
        return;
      }
      first.textContent = '请选择';
      select.setAttribute('aria-busy', 'true');
      status.textContent = '正在读取……';
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
          settle(mine, '', false);
        }, function () {
          settle(mine, '读取' + select.dataset.label + '失败', true);
        });
    }

    other.addEventListener('change', load);
    retry.addEventListener('click', load);
    // A value the browser restored (going back to the page) fires no change.
    if (other.value && select.options.length === 1) { load(); }
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
