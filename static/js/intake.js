// Receipt page: copy and print buttons, shown only when JavaScript can make them work.
(function () {
  "use strict";
  var copy = document.querySelector("[data-copy-target]");
  var print = document.querySelector("[data-print]");
  var copied = document.querySelector("[data-copied]");
  if (copy && navigator.clipboard) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      var text = document.getElementById(copy.getAttribute("data-copy-target")).textContent;
      navigator.clipboard.writeText(text.trim()).then(function () {
        if (copied) {
          copied.hidden = false;
        }
      });
    });
  }
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () {
      window.print();
    });
  }
})();

// Account page: ticking "I am in danger now" opens the emergency guidance at once. Without
// JavaScript the guidance is one tap away (a <details> element) and shown again on the review page.
(function () {
  "use strict";
  var box = document.getElementById("id_account-in_danger");
  var details = document.querySelector(".danger-details");
  if (!box || !details) {
    return;
  }
  box.addEventListener("change", function () {
    details.open = box.checked;
  });
})();
