// On a narrow screen the main menu scrolls sideways: the page's own item is scrolled into
// the middle of it, so that one sees where one is, and what lies on either side.
(function () {
  function centre() {
    var menu = document.querySelector('nav.menu');
    var active = menu && menu.querySelector('a.active');
    if (!active || menu.scrollWidth <= menu.clientWidth) { return; }
    var offset = active.getBoundingClientRect().left - menu.getBoundingClientRect().left;
    menu.scrollLeft += offset - (menu.clientWidth - active.offsetWidth) / 2;
  }
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', centre);
  } else {
    centre();
  }
}());
