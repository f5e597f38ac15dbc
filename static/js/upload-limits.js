// Review page: before sending, warn when a chosen file is over the size limit or there are too
// many files, and hold the sending back until they are changed. The limits and the translated
// words come from intake/templates/intake/upload_limits.html. Without JavaScript the same limits
// are told after sending: by the server (intake/views.py), or, for a body over Caddy's limit, by
// Caddy's page (deploy/errors/).
(function () {
  "use strict";
  var config = document.querySelector("script[data-upload-limits]");
  var input = document.getElementById("attachments");
  if (!config || !input || !input.form) {
    return;
  }
  var maxFiles = parseInt(config.getAttribute("data-max-files"), 10);
  var maxBytes = parseInt(config.getAttribute("data-max-file-bytes"), 10);
  function words(name) {
    return config.getAttribute("data-" + name);
  }

  // The warning exists only with JavaScript, so it is made here, after the file input.
  var box = document.createElement("div");
  box.className = "warning";
  box.id = "files-limits";
  box.tabIndex = -1;
  box.hidden = true;
  box.setAttribute("role", "alert");
  input.insertAdjacentElement("afterend", box);

  function add(parent, tag, text) {
    var element = document.createElement(tag);
    element.textContent = text;
    parent.appendChild(element);
    return element;
  }

  function problems() {
    var files = input.files || [];
    var found = [];
    var large = [];
    if (files.length > maxFiles) {
      found.push(words("too-many"));
    }
    for (var i = 0; i < files.length; i += 1) {
      if (files[i].size > maxBytes) {
        large.push(files[i].name);
      }
    }
    if (large.length) {
      found.push(words("too-large") + " " + words("too-large-names") + " " + large.join(", "));
    }
    return found;
  }

  // Show what is wrong (nothing: hide the warning); true when something is.
  function show() {
    var found = problems();
    box.textContent = "";
    box.hidden = found.length === 0;
    if (box.hidden) {
      return false;
    }
    add(add(box, "p", ""), "strong", words("heading"));
    var list = add(box, "ul", "");
    found.forEach(function (text) {
      add(list, "li", text);
    });
    add(box, "p", words("advice"));
    var clear = add(box, "button", words("clear"));
    clear.type = "button";
    clear.className = "secondary";
    clear.addEventListener("click", function () {
      input.value = "";
      show();
      input.focus();
    });
    return true;
  }

  input.addEventListener("change", show);
  input.form.addEventListener("submit", function (event) {
    // "Change my answers" goes back to the account form without the files: let it.
    if (event.submitter && event.submitter.hasAttribute("formaction")) {
      return;
    }
    if (show()) {
      event.preventDefault();
      box.focus();
    }
  });
})();
