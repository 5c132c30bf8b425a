/* Booking form niceties. The form works fully without this file. */
(function () {
  "use strict";
  var form = document.querySelector("[data-booking-form]");
  if (!form) { return; }

  // "Are you safe right now?" answered "No": make the helplines impossible to miss.
  var help = form.querySelector("[data-safety-help]");
  var announce = form.querySelector("[data-safety-announce]");
  var safety = form.querySelectorAll("input[name='safe_now']");
  function updateSafety() {
    var notSafe = form.querySelector("input[name='safe_now'][value='no']:checked") !== null;
    if (!help) { return; }
    help.classList.toggle("is-prominent", notSafe);
    if (announce) {
      announce.textContent = notSafe
        ? "Helplines are shown below the question. You can still send this form."
        : "";
    }
  }
  safety.forEach(function (input) { input.addEventListener("change", updateSafety); });
  updateSafety();

  // A live character count for the optional message.
  var message = form.querySelector("textarea[name='message']");
  if (message) {
    var limit = parseInt(message.getAttribute("maxlength") || "1000", 10);
    var counter = document.createElement("p");
    counter.className = "booking-form__counter";
    counter.setAttribute("aria-live", "polite");
    counter.id = "message-counter";
    message.insertAdjacentElement("afterend", counter);
    // Digits grouped by hand: toLocaleString loads locale data, which costs
    // a slow phone a noticeable pause while the page is loading.
    var limitText = String(limit).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var update = function () {
      counter.textContent = message.value.length + " of " + limitText + " characters";
    };
    message.addEventListener("input", update);
    update();
  }

  // One click sends once; the server also refuses a second copy.
  form.addEventListener("submit", function () {
    var button = form.querySelector("[type='submit']");
    if (button) {
      window.setTimeout(function () {
        button.disabled = true;
        button.value = "Sending…";
      }, 0);
    }
  });

  // After a failed submission, bring the summary into view for keyboard and screen-reader users.
  var summary = document.getElementById("form-errors");
  if (summary) { summary.focus(); }
})();
