// The portals' small behaviours, each a progressive enhancement (the pages work without it):
// show a password, the test anti-robot widget, the terms' boxes once the text is read, focus on a
// form's error message.
(function () {
  "use strict";

  function showPasswords(root) {
    root.querySelectorAll("button.show-password").forEach(function (button) {
      var input = document.getElementById(button.dataset.target);
      if (!input) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        var shown = input.type === "text";
        input.type = shown ? "password" : "text";
        button.setAttribute("aria-pressed", shown ? "false" : "true");
        button.querySelector(".visually-hidden").textContent = shown ? "Afficher le mot de passe" : "Masquer le mot de passe";
      });
    });
  }

  function testCaptcha(root) {
    root.querySelectorAll(".test-captcha").forEach(function (widget) {
      var button = widget.querySelector("button");
      button.addEventListener("click", function () {
        widget.querySelector("input[name='frc-captcha-solution']").value = widget.dataset.solution;
        widget.querySelector(".captcha-state").textContent = "Vérification réussie : vous n'êtes pas un robot.";
        button.disabled = true;
      });
    });
  }

  function termsReading(root) {
    var text = root.querySelector("#terms-text");
    if (!text) { return; }
    var boxes = root.querySelectorAll("input[data-after-reading]");
    var hint = root.querySelector("#scroll-hint");
    function read() { return text.scrollTop + text.clientHeight >= text.scrollHeight - 8; }
    function update() {
      var done = read();
      boxes.forEach(function (box) { box.disabled = !done && !box.checked; });
      if (done && hint) { hint.textContent = "Vous avez parcouru tout le document : vous pouvez accepter les conditions générales."; }
    }
    text.addEventListener("scroll", update);
    update();
  }

  function focusMessage(root) {
    var message = root.querySelector("#form-message");
    if (message) { message.focus(); }
  }

  // The broker's search: the fields of the chosen search only (both shown without JavaScript).
  function searchMode(root) {
    var radios = root.querySelectorAll("input[name='mode']");
    if (!radios.length) { return; }
    function update() {
      var chosen = root.querySelector("input[name='mode']:checked");
      root.querySelectorAll(".search-fields[data-mode]").forEach(function (group) {
        group.hidden = chosen && group.dataset.mode !== chosen.value;
      });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    searchMode(document);
    showPasswords(document);
    testCaptcha(document);
    termsReading(document);
    focusMessage(document);
  });
})();
