// The request page's outcome panel (templates/requests_app/screening/includes/outcomes.html):
// one choice among approve, deny, escalate and return, and only the chosen one's form shows.
// Without this script every choice shows with its own form, so nothing depends on it.
(function () {
  "use strict";
  document.querySelectorAll("[data-outcome-panel]").forEach(function (panel) {
    var choice = panel.querySelector(".outcome-choice");
    var cards = panel.querySelectorAll("[data-outcome]");
    if (!choice || !cards.length) {
      return;
    }
    function show() {
      var chosen = choice.querySelector("input:checked");
      cards.forEach(function (card) {
        card.hidden = !chosen || card.dataset.outcome !== chosen.value;
      });
    }
    // A form that came back with its errors is the one chosen.
    var failed = panel.querySelector("[data-outcome] .alert-danger");
    if (failed) {
      var radio = choice.querySelector(
        'input[value="' + failed.closest("[data-outcome]").dataset.outcome + '"]'
      );
      if (radio) {
        radio.checked = true;
      }
    }
    choice.hidden = false;
    choice.addEventListener("change", show);
    show();
  });
})();
