/* Safeguard Monitor review UI: keyboard triage for the queue, and small conveniences.
 *
 * Every page works without this script (forms post and redirect). With it, the queue is
 * driven from the keyboard: j/k move, i/c/u decide (innocent/concern/urgent), o opens.
 * A decision is the same CSRF-protected form post, sent with fetch so the list keeps its
 * place; the next incident is selected after each decision.
 */
(function () {
  "use strict";

  var DECISION_KEYS = { i: "innocent", c: "concern", u: "urgent" };

  function announce(text) {
    var live = document.getElementById("live");
    if (!live) return;
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 40);
  }

  function isTyping(target) {
    return !!(target && target.closest &&
      target.closest("input, select, textarea, [contenteditable='true']"));
  }

  function titleCase(word) {
    return word ? word.charAt(0).toUpperCase() + word.slice(1) : word;
  }

  function setupQueue(table) {
    var rows = Array.prototype.slice.call(table.querySelectorAll("tr[data-incident-row]"));
    if (!rows.length) return;
    var index = 0;

    function controls(row) {
      return row.querySelectorAll("a[href], button");
    }

    // Roving focus: the table is one tab stop; the selected row's links and buttons follow it.
    function select(next, focus) {
      index = Math.max(0, Math.min(rows.length - 1, next));
      rows.forEach(function (row, n) {
        var on = n === index;
        row.classList.toggle("selected", on);
        row.tabIndex = on ? 0 : -1;
        controls(row).forEach(function (c) { c.tabIndex = on ? 0 : -1; });
      });
      if (focus) {
        rows[index].focus({ preventScroll: true });
        rows[index].scrollIntoView({ block: "nearest" });
      }
    }

    function markDecided(row, decision) {
      row.classList.add("decided");
      row.dataset.decision = decision;
      row.querySelectorAll("button.decide").forEach(function (b) {
        if (b.value === decision) b.setAttribute("aria-pressed", "true");
        else b.removeAttribute("aria-pressed");
      });
      var outcome = row.querySelector("[data-outcome]");
      if (outcome) {
        outcome.textContent = "";
        var badge = document.createElement("span");
        badge.className = "badge decision-" + decision;
        badge.textContent = titleCase(decision);
        outcome.appendChild(badge);
      }
    }

    function showError(row, message) {
      var outcome = row.querySelector("[data-outcome]");
      if (outcome) {
        outcome.textContent = "";
        var text = document.createElement("span");
        text.className = "field-error";
        text.setAttribute("role", "alert");
        text.textContent = "Not saved: " + message;
        outcome.appendChild(text);
      }
    }

    function decide(row, form, decision) {
      if (row.getAttribute("aria-busy") === "true") return Promise.resolve(false);
      var data = new FormData(form);
      data.set("decision", decision);
      row.setAttribute("aria-busy", "true");
      return fetch(form.action, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (response.status === 401) {
            window.location.href = "/login?next=" +
              encodeURIComponent(window.location.pathname + window.location.search);
            return false;
          }
          if (!response.ok) throw new Error(body.detail || ("error " + response.status));
          markDecided(row, body.decision);
          announce(titleCase(body.decision) + ": " + (row.dataset.pupil || "incident") + ". " +
                   "Saved.");
          return true;
        });
      }).catch(function (error) {
        showError(row, error.message);
        announce("Not saved: " + error.message);
        return false;
      }).finally(function () {
        row.removeAttribute("aria-busy");
      });
    }

    table.addEventListener("submit", function (event) {
      var form = event.target.closest("form.decision-form");
      if (!form) return;
      event.preventDefault();
      var row = form.closest("tr[data-incident-row]");
      var button = event.submitter;
      if (!row || !button) return;
      select(rows.indexOf(row), true);
      decide(row, form, button.value).then(function (saved) {
        if (saved && index < rows.length - 1) select(index + 1, true);
      });
    });

    table.addEventListener("focusin", function (event) {
      var row = event.target.closest("tr[data-incident-row]");
      var n = rows.indexOf(row);
      if (row && n !== index) select(n, false);
    });

    table.addEventListener("click", function (event) {
      var row = event.target.closest("tr[data-incident-row]");
      if (row && !event.target.closest("a, button")) select(rows.indexOf(row), true);
    });

    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey ||
          isTyping(event.target)) return;
      var row = rows[index];
      var key = event.key;
      if (key === "j") {
        select(index + 1, true);
      } else if (key === "k") {
        select(index - 1, true);
      } else if (key === "o" || (key === "Enter" && event.target === row)) {
        window.location.href = row.dataset.href;
      } else if (Object.prototype.hasOwnProperty.call(DECISION_KEYS, key)) {
        var button = row.querySelector("button.decide[value='" + DECISION_KEYS[key] + "']");
        if (!button) return;
        button.form.requestSubmit(button);
      } else {
        return;
      }
      event.preventDefault();
    });

    rows.forEach(function (row) {
      var pupil = row.querySelector(".col-pupil");
      if (pupil) row.dataset.pupil = pupil.textContent.trim();
    });
    select(0, false);
  }

  // A checkbox that remembers its state on this computer (the screenshot blur).
  function setupRemembered(box) {
    var key = "safeguard." + box.dataset.remember;
    try {
      box.checked = window.localStorage.getItem(key) === "1";
      box.addEventListener("change", function () {
        window.localStorage.setItem(key, box.checked ? "1" : "0");
      });
    } catch (e) { /* storage disabled: the toggle still works for this page */ }
  }

  // A page answering a form post says where it lives, so reloading it does not post again
  // (a second enrolment key, a second password reset).
  function settleUrl() {
    var canonical = document.body.dataset.canonicalUrl;
    if (canonical && window.location.pathname !== canonical) {
      window.history.replaceState(null, "", canonical);
    }
  }

  // Forms that take something away ask first (revoking a device cannot be undone).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    settleUrl();
    document.querySelectorAll("[data-keyboard-queue]").forEach(setupQueue);
    document.querySelectorAll("input[data-remember]").forEach(setupRemembered);
  });
})();
