// A refused form's summary of what to change (macros/forms.html) is brought into view and
// focused, so that a screen reader reads it and a phone shows it without scrolling.
(function () {
  function show() {
    var summary = document.getElementById('error-summary');
    if (summary) { summary.focus(); }
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', show);
  } else {
    show();
  }
}());
