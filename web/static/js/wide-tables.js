// A table wider than the screen scrolls in its own box (app.css); such a box is made
// focusable, so that it can be scrolled from the keyboard too.
(function () {
  function mark() {
    document.querySelectorAll('table.grid:not(.stack)').forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1) {
        table.setAttribute('tabindex', '0');
      } else if (table.getAttribute('tabindex') === '0') {
        table.removeAttribute('tabindex');
      }
    });
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', mark);
  } else {
    mark();
  }
  window.addEventListener('resize', mark);
}());
