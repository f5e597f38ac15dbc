// Quick exit: the link works without JavaScript; this adds what only a script can do.
// - Blank the page at once, before the next site has loaded.
// - Replace this history entry, so Back does not return here.
// - Leave when Shift is pressed three times in a row (GOV.UK's "Exit this page" convention).
(function () {
  "use strict";
  var link = document.querySelector("[data-quick-exit]");
  if (!link) {
    return;
  }
  var destination = link.getAttribute("href");
  var hint = document.querySelector("[data-quick-exit-hint]");
  if (hint) {
    hint.hidden = false;
  }

  function leave(event) {
    if (event) {
      event.preventDefault();
    }
    document.documentElement.style.visibility = "hidden";
    document.title = "";
    try {
      window.sessionStorage.clear();
    } catch (error) {
      // Storage may be disabled; there is nothing to clear then.
    }
    window.location.replace(destination);
  }

  link.addEventListener("click", leave);

  // Count Shift presses; any other key starts the count again, so typing capital letters does not
  // trigger it, and three presses must come within five seconds.
  var presses = 0;
  var firstPressAt = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Shift") {
      presses = 0;
      return;
    }
    if (event.repeat) {
      return;
    }
    var now = Date.now();
    if (presses === 0 || now - firstPressAt > 5000) {
      presses = 0;
      firstPressAt = now;
    }
    presses += 1;
    if (presses >= 3) {
      leave();
    }
  });
})();
