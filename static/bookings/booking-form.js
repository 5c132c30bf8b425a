/* Booking form niceties. The form works fully without this file. */
(function () {
  "use strict";
  var form = document.querySelector("[data-booking-form]");
  if (!form) { return; }
  // The page's language: its words for the script come in data-message-* attributes.
  function words(name, english) { return form.getAttribute("data-message-" + name) || english; }

  // "Are you safe right now?" answered "No": make the helplines impossible to miss.
  var help = form.querySelector("[data-safety-help]");
  var announce = form.querySelector("[data-safety-announce]");
  var safety = form.querySelectorAll("input[name='safe_now']");
  function updateSafety() {
    var notSafe = form.querySelector("input[name='safe_now'][value='no']:checked") !== null;
    if (!help) { return; }
    help.classList.toggle("is-prominent", notSafe);
    var text = notSafe
      ? words("helplines", "Helplines are shown below the question. You can still send this form.")
      : "";
    if (announce && announce.textContent !== text) { announce.textContent = text; }
  }
  safety.forEach(function (input) { input.addEventListener("change", updateSafety); });
  updateSafety();

  // The consent to consult by video or phone is asked only for those ways of meeting.
  var remoteConsent = form.querySelector("[data-remote-consent]");
  function updateRemoteConsent() {
    var mode = form.querySelector("input[name='mode']:checked");
    if (remoteConsent) { remoteConsent.hidden = mode !== null && mode.value === "in_clinic"; }
  }
  form.querySelectorAll("input[name='mode']").forEach(function (input) {
    input.addEventListener("change", updateRemoteConsent);
  });
  updateRemoteConsent();

  // Open times follow the mode and the specialist without a reload: the server
  // renders the same fragment the page was built with. Without scripts the
  // "Show open times" button (in <noscript>) does the same with a round trip.
  var times = form.querySelector("[data-open-times]");
  var timesUrl = form.getAttribute("data-times-url");
  var timesAnnounce = form.querySelector("[data-times-announce]");
  var request = 0;
  function checkedValue(name) {
    var input = form.querySelector("input[name='" + name + "']:checked");
    return input ? input.value : "";
  }
  function updateTimes(allDays) {
    if (!times || !timesUrl) { return; }
    var specialist = form.querySelector("select[name='preferred_specialist']");
    var csrf = form.querySelector("input[name='csrfmiddlewaretoken']");
    var query = new URLSearchParams({
      mode: checkedValue("mode"),
      specialist: specialist ? specialist.value : "",
      slot: checkedValue("slot"),
      all_days: allDays === true ? "on" : "",
      csrfmiddlewaretoken: csrf ? csrf.value : ""
    });
    var mine = ++request;
    times.setAttribute("aria-busy", "true");
    // POST, so the specialist looked at stays out of URLs and logs.
    fetch(timesUrl, { method: "POST", body: query, headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        if (mine !== request) { return; }  // a later change is on its way
        times.innerHTML = html;
        revealMore();
        form.querySelectorAll("[data-slot-error]").forEach(function (el) { el.remove(); });
        updateWindows();
        var later = allDays === true && document.getElementById("later-times");
        if (later) { later.querySelector("summary").focus(); }
        if (timesAnnounce) {
          var count = times.querySelectorAll("input[name='slot']").length;
          timesAnnounce.textContent = form.getAttribute(count ? "data-times-updated" : "data-no-times");
        }
      })
      .catch(function () {
        if (timesAnnounce && mine === request) {
          timesAnnounce.textContent = form.getAttribute("data-times-failed");
        }
      })
      .then(function () { if (mine === request) { times.removeAttribute("aria-busy"); } });
  }
  form.querySelectorAll("input[name='mode'], select[name='preferred_specialist']").forEach(function (input) {
    input.addEventListener("change", updateTimes);
  });
  // "Show more days" fetches them in place; without scripts the page has its own button.
  function revealMore() {
    if (times) { times.querySelectorAll("[data-more-times]").forEach(function (b) { b.hidden = false; }); }
  }
  revealMore();
  if (times) {
    times.addEventListener("click", function (event) {
      if (event.target.closest("[data-more-times]")) {
        event.preventDefault();
        updateTimes(true);
      }
    });
  }

  // "None of these suit me" (or no open times at all) shows the preferred days.
  var windows = form.querySelector("[data-windows]");
  var noneSuit = form.querySelector("input[name='no_time_suits']");
  function updateWindows() {
    if (!windows) { return; }
    var anyTimes = times && times.querySelector("input[name='slot']") !== null;
    var open = !anyTimes || (noneSuit && noneSuit.checked) || windows.querySelector(".is-invalid") !== null;
    windows.classList.toggle("is-open", Boolean(open));
    var noneSuitBox = form.querySelector("[data-none-suit]");
    if (noneSuitBox && noneSuitBox.hidden !== !anyTimes) { noneSuitBox.hidden = !anyTimes; }
  }
  if (noneSuit) { noneSuit.addEventListener("change", updateWindows); }
  updateWindows();

  // A live character count for the optional message, from the first keystroke
  // on: the page changes nothing while it loads (a slow phone stays responsive).
  var message = form.querySelector("textarea[name='message']");
  if (message) {
    var limit = parseInt(message.getAttribute("maxlength") || "1000", 10);
    var counter = null;
    // Digits grouped by hand: toLocaleString loads locale data, which costs
    // a slow phone a noticeable pause while the page is loading.
    var limitText = String(limit).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var update = function () {
      if (!counter) {
        counter = document.createElement("p");
        counter.className = "booking-form__counter";
        counter.setAttribute("aria-live", "polite");
        counter.id = "message-counter";
        message.insertAdjacentElement("afterend", counter);
      }
      counter.textContent = words("count", "{count} of {limit} characters")
        .replace("{count}", message.value.length).replace("{limit}", limitText);
    };
    message.addEventListener("input", update);
    if (message.value) { update(); }
  }

  // An answered question loses its red outline (its message stays until the next send).
  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name && target.classList.contains("is-invalid")) {
      form.querySelectorAll("[name='" + target.name + "']").forEach(function (el) {
        el.classList.remove("is-invalid");
      });
    }
  });

  // One click sends once; the server also refuses a second copy.
  form.addEventListener("submit", function () {
    var button = form.querySelector("[type='submit']");
    if (button) {
      window.setTimeout(function () {
        button.disabled = true;
        button.value = words("sending", "Sending…");
      }, 0);
    }
  });

  // After a failed submission, bring the summary into view for keyboard and screen-reader users.
  var summary = document.getElementById("form-errors");
  if (summary) { summary.focus(); }
})();
