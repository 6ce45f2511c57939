/* The warning before the idle sign-out (WCAG 2.2.1: a person is told before time runs out and
   can extend it with one action). The server keeps the real clock (IdleLogoutMiddleware); this
   asks it before warning and before leaving, since the person may be busy in another tab.
   At the deadline a step of the application whose fields were changed is posted: the server
   keeps what was typed until the person signs in again (requests_app/accounts/idle.py). */
(function () {
  "use strict";

  var dialog = document.getElementById("idle-warning");
  if (!dialog || typeof dialog.showModal !== "function") {
    return;
  }
  var warningMs = Number(dialog.dataset.warning) * 1000;
  var stay = dialog.querySelector("form.idle-stay");
  var at = dialog.querySelector(".idle-warning-at");
  var step = document.querySelector("form.application-step");
  var changed = false;
  var deadline = 0;
  var timer = null;

  if (step) {
    step.addEventListener("input", function () { changed = true; });
    step.addEventListener("change", function () { changed = true; });
  }

  function answer(response) {
    // Anything but the endpoint's JSON (a sign-in page, an error) means the session is over.
    var type = response.headers.get("Content-Type") || "";
    if (!response.ok || type.indexOf("application/json") !== 0) {
      return { remaining: 0 };
    }
    return response.json();
  }

  function ask(options) {
    var request = Object.assign(
      { credentials: "same-origin", headers: { Accept: "application/json" } },
      options || {}
    );
    return fetch(stay.action, request).then(answer);
  }

  function schedule(remaining) {
    deadline = Date.now() + remaining * 1000;
    clearTimeout(timer);
    if (dialog.open) {
      dialog.close();
    }
    timer = setTimeout(check, Math.max(0, deadline - warningMs - Date.now()));
  }

  function check() {
    ask().then(function (data) {
      if (data.remaining * 1000 > warningMs + 1000) {
        schedule(data.remaining);
      } else {
        warn(data.remaining);
      }
    }, function () { warn((deadline - Date.now()) / 1000); });
  }

  function warn(remaining) {
    deadline = Date.now() + remaining * 1000;
    at.textContent = new Date(deadline).toLocaleTimeString([], {
      hour: "numeric",
      minute: "2-digit"
    });
    if (!dialog.open) {
      dialog.showModal();
    }
    clearTimeout(timer);
    // A second past the deadline, so the server has already ended the session.
    timer = setTimeout(expire, Math.max(0, deadline - Date.now()) + 1000);
  }

  function expire() {
    ask().then(function (data) {
      if (data.remaining > 0) {
        schedule(data.remaining);
      } else {
        leave();
      }
    }, leave);
  }

  function leave() {
    if (step && changed) {
      var go = document.createElement("input");
      go.type = "hidden";
      go.name = "go";
      go.value = "stay";
      step.appendChild(go);
      step.submit();
      return;
    }
    // Back here after signing in; slashes left as they are, as the server writes them.
    var here = encodeURIComponent(window.location.pathname + window.location.search);
    window.location.assign(dialog.dataset.login + "?next=" + here.replace(/%2F/g, "/"));
  }

  stay.addEventListener("submit", function (event) {
    event.preventDefault();
    ask({ method: "POST", body: new FormData(stay) }).then(function (data) {
      if (data.remaining > 0) {
        schedule(data.remaining);
      } else {
        leave();
      }
    }, leave);
  });

  // Escape is the person answering: the same as "Stay signed in", never a silent dismissal.
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();
    stay.requestSubmit();
  });

  schedule(Number(dialog.dataset.remaining));
}());
