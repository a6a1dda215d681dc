// A long choice (macros/forms.html: data-filter, e.g. the townships of a province, 1,257 of
// them) gets a search box above it: what is typed keeps the choices whose name or code holds
// it, the chosen one always kept, and says how many are left. Where this script cannot run
// the choice is the plain list it was.
(function () {
  function fold(text) { return text.toLowerCase().replace(/\s+/g, ''); }

  function filter(select) {
    var label = select.dataset.filter;
    // an option without a value ("请选择", "全部单位") is no choice to look for: always kept
    var options = Array.prototype.slice.call(select.options);
    var all = options.filter(function (option) { return option.value !== ''; });
    var box = document.createElement('input');
    box.type = 'search';
    box.className = 'choice-filter';
    box.id = select.id + '-filter';
    box.placeholder = '输入名称或编码查找' + label;
    box.setAttribute('aria-label', '查找' + label);
    box.setAttribute('aria-controls', select.id);
    box.autocomplete = 'off';
    var count = document.createElement('span');
    count.className = 'hint choice-count';
    count.id = select.id + '-count';
    count.setAttribute('aria-live', 'polite');
    select.insertAdjacentElement('beforebegin', box);
    select.insertAdjacentElement('afterend', count);

    function apply() {
      var wanted = fold(box.value);
      var chosen = select.value;
      var shown = 0;
      select.length = 0;
      options.forEach(function (option) {
        var kept = option.value === '';
        var hit = !kept && (!wanted || fold(option.text + ' ' + option.value).indexOf(wanted) !== -1);
        if (hit) { shown += 1; }
        if (kept || hit || option.value === chosen) { select.add(option); }
      });
      select.value = chosen;
      count.textContent = wanted ? ('共 ' + all.length + ' 项，找到 ' + shown + ' 项') : '';
    }

    box.addEventListener('input', apply);
    // Enter in the box must not send the form: it picks the only choice found, if one is.
    box.addEventListener('keydown', function (event) {
      if (event.key !== 'Enter') { return; }
      event.preventDefault();
      var found = Array.prototype.filter.call(select.options, function (option) {
        return option.value !== '';
      });
      if (found.length === 1 && select.value !== found[0].value) {
        select.value = found[0].value;
        select.dispatchEvent(new Event('change', { bubbles: true }));
      }
      select.focus();
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll('select[data-filter]'), filter);
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
