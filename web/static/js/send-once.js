// A form that is being sent cannot be sent again: its submit buttons are disabled until the
// answer arrives (the server guards forms that must act once as well, see web/once.py).
(function () {
  var BUTTONS = 'button[type=submit], button:not([type]), input[type=submit]';

  function release(form) {
    form.classList.remove('sending');
    form.querySelectorAll('[data-sending]').forEach(function (button) {
      button.disabled = false;
      button.removeAttribute('data-sending');
    });
  }

  // Capturing, so that a second submit is stopped before the form's own handlers see it.
  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!form || (form.method || '').toLowerCase() !== 'post') { return; }
    // A form with data-confirm (停用账户) is sent only once the person agrees.
    if (form.dataset.confirm && !form.classList.contains('sending') &&
        !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    if (form.classList.contains('sending')) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    form.classList.add('sending');
    // Disabled after this turn: the clicked button's name and value must still be sent.
    window.setTimeout(function () {
      form.querySelectorAll(BUTTONS).forEach(function (button) {
        if (!button.disabled) { button.disabled = true; button.setAttribute('data-sending', ''); }
      });
    }, 0);
  }, true);
  // Back to the page through the browser's history, or a failed upload: usable again.
  window.addEventListener('pageshow', function () {
    document.querySelectorAll('form.sending').forEach(release);
  });
  document.addEventListener('send-failed', function (event) { release(event.target); });
}());
