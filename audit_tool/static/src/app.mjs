// Progressive enhancement only: every page works without JavaScript.
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) {
  document.body.classList.add("govuk-frontend-supported");
}
initAll();

// Warn before the idle timeout signs someone out, so unsaved work can be saved.
// Any request to the server refreshes the timer; "Stay signed in" makes one.
const body = document.body;
const idleSeconds = Number(body.dataset.idleTimeoutSeconds || 0);
const warningSeconds = Number(body.dataset.warningSeconds || 0);
const warning = document.querySelector("[data-module='app-timeout-warning']");
if (idleSeconds > 0 && warning) {
  let timer;
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      warning.hidden = false;
      warning.querySelector("[data-keep-alive]").focus();
    }, Math.max(idleSeconds - warningSeconds, 1) * 1000);
  };
  warning.querySelector("[data-keep-alive]").addEventListener("click", async () => {
    const response = await fetch(body.dataset.keepAliveUrl, { credentials: "same-origin" });
    if (response.ok) {
      warning.hidden = true;
      schedule();
    } else {
      window.location.reload();
    }
  });
  schedule();
}

// Warn before the absolute timeout, which no activity extends: whatever is unsaved then
// must be saved before it comes.
const endsSeconds = Number(body.dataset.sessionEndsSeconds || 0);
const sessionEnd = document.querySelector("[data-module='app-session-end-warning']");
if (endsSeconds > 0 && sessionEnd) {
  setTimeout(() => {
    sessionEnd.hidden = false;
    sessionEnd.focus();
  }, Math.max(endsSeconds - warningSeconds, 1) * 1000);
}
