// The portals' small behaviours, each a progressive enhancement (the pages work without it):
// show a password, the test anti-robot widget, the terms' boxes once the text is read, focus on a
// form's error message, the navigation's groups.
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

  // The main navigation's groups (<details>, usable without this): one open at a time; Escape closes the open one
  // and puts the focus back on it; the focus or a click leaving a group closes it.
  function navigationGroups(root) {
    var groups = Array.prototype.slice.call(root.querySelectorAll(".nav-group details"));
    if (!groups.length) { return; }
    groups.forEach(function (group) {
      group.addEventListener("toggle", function () {
        if (group.open) { groups.forEach(function (other) { if (other !== group) { other.open = false; } }); }
      });
      group.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && group.open) {
          group.open = false;
          group.querySelector("summary").focus();
          event.preventDefault();
        }
      });
      group.addEventListener("focusout", function (event) {
        if (group.open && event.relatedTarget && !group.contains(event.relatedTarget)) { group.open = false; }
      });
    });
    document.addEventListener("click", function (event) {
      groups.forEach(function (group) { if (group.open && !group.contains(event.target)) { group.open = false; } });
    });
  }

  // In place (guide 000: « cliquez sur la flèche »): a company's detail opens under its row, a contract's guarantees
  // and insured under the contract. A button (aria-expanded) shows or hides its panel, loaded once by htmx (the
  // portal's partial); the company's name beside it is a plain link to the same detail, which works without this.
  function inPlace(root) {
    root.querySelectorAll("button[data-expand]").forEach(function (button) {
      if (button.dataset.ready) { return; }
      button.dataset.ready = "true";
      button.hidden = false;
      button.addEventListener("click", function () { toggleInPlace(button); });
    });
  }

  function panelOf(button) {
    var id = button.getAttribute("aria-controls") || button.dataset.panel;
    var panel = document.getElementById(id);
    if (!panel) {  // a company's row: its detail in a row of its own under it, made at the first opening
      var row = button.closest("tr");
      var cell = document.createElement("td");
      var slot = document.createElement("div");
      panel = document.createElement("tr");
      panel.id = id;
      panel.className = "detail-row";
      panel.hidden = true;
      cell.colSpan = row.cells.length;
      slot.id = id.replace(/^panneau-/, "");
      slot.setAttribute("data-in-place", "");
      slot.innerHTML = "<p class=\"loading\">Chargement…</p>";
      cell.appendChild(slot);
      panel.appendChild(cell);
      row.parentNode.insertBefore(panel, row.nextSibling);
      button.setAttribute("aria-controls", id);
    }
    return panel;
  }

  function toggleInPlace(button) {
    var panel = panelOf(button);
    var opening = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", opening ? "true" : "false");
    panel.hidden = !opening;
    var slot = panel.querySelector("[data-in-place]");
    if (opening && slot && !slot.dataset.loading) {
      slot.dataset.loading = "true";
      slot.setAttribute("aria-busy", "true");
      htmx.ajax("GET", button.dataset.expand, { target: slot, swap: "outerHTML" });
    }
  }

  document.addEventListener("htmx:load", function (event) { inPlace(event.detail.elt); });

  // A part of a page that the portal failed to draw (htmx does not swap a 5xx): the whole page at that address
  // instead, which shows the portal's French error page rather than nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var detail = event.detail;
    if (detail.xhr.status >= 500 && detail.requestConfig && detail.requestConfig.verb === "get") {
      window.location.assign(detail.pathInfo.finalRequestPath || detail.pathInfo.requestPath);
    } else if (detail.target && detail.target.hasAttribute("data-in-place")) {  // a detail no longer there, say
      detail.target.removeAttribute("aria-busy");
      detail.target.innerHTML = "<p class=\"error\">Ce détail ne peut pas être affiché. Ouvrez la fiche par son lien.</p>";
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    navigationGroups(document);
    inPlace(document);
    searchMode(document);
    showPasswords(document);
    testCaptcha(document);
    termsReading(document);
    focusMessage(document);
  });
})();
