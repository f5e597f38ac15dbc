// Quick exit: the link works without JavaScript; this adds what only a script can do.
// - Blank the page at once, before the next site has loaded.
// - Replace this history entry with the exit address (intake.views.quick_exit, which ends a
//   returning survivor's session and sends the browser on to the neutral site), so Back does
//   not return here.
// - Leave when Shift is pressed three times in a row (GOV.UK's "Exit this page" convention), and
//   say so where a keyboard is likely (the hints are hidden until then: without JavaScript the
//   shortcut does not work, so it is not mentioned).
// - A page of a returning survivor's account that the browser brings back from its back-forward
//   cache (a snapshot, not asked of the server) is hidden and asked for again: after the quick
//   exit the server has ended the session and answers with the receipt form instead.
(function () {
  "use strict";

  var accountPage = document.querySelector('meta[name="survivor-session-page"]');
  if (accountPage) {
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) {
        document.documentElement.style.visibility = "hidden";
        window.location.replace(accountPage.getAttribute("content"));
      }
    });
  }

  var link = document.querySelector("[data-quick-exit]");
  if (!link) {
    return;
  }
  var destination = link.getAttribute("href");
  // "Press the Shift key" only where a keyboard is likely: a fine pointer that can hover (a
  // mouse or a trackpad). A phone or a tablet has neither, and no Shift key to press.
  var keyboardLikely = window.matchMedia && window.matchMedia("(hover: hover) and (pointer: fine)").matches;
  if (keyboardLikely) {
    var hints = document.querySelectorAll("[data-quick-exit-hint]");
    for (var i = 0; i < hints.length; i += 1) {
      hints[i].hidden = false;
    }
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
