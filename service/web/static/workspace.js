// The workspace works without this file; it only adds conveniences:
// live progress on a plan being solved and on a running job (its bar), "Solving…"
// after the solve button, drag and drop onto the upload form, and a confirmation
// before deleting or cancelling.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    var waiting = document.querySelector("[data-progress]");
    if (waiting) {
      var url = waiting.getAttribute("data-progress");
      var started = Date.now();
      var state = waiting.querySelector(".state");
      var poll = function () {
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (body) {
            if (body && body.done) { window.location.reload(); return; }
            var seconds = Math.round((Date.now() - started) / 1000);
            if (state) state.textContent = "Solving… " + (body ? body.state : "") + ", " + seconds + " s";
            setTimeout(poll, 1000);
          })
          .catch(function () { setTimeout(poll, 3000); });
      };
      setTimeout(poll, 500);
    }

    var job = document.querySelector("[data-job-progress]");
    if (job) {
      var jobUrl = job.getAttribute("data-job-progress");
      var bar = job.querySelector("progress");
      var count = job.querySelector("#job-count");
      var jobState = job.querySelector("#job-state");
      var follow = function () {
        fetch(jobUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (body) {
            if (body) {
              if (bar) { bar.max = body.total; bar.value = body.solved + body.failed; }
              if (count) count.textContent = body.solved + "/" + body.total;
              if (jobState) jobState.textContent = body.state;
              if (body.done) { setTimeout(function () { window.location.reload(); }, 400); return; }
            }
            setTimeout(follow, 1000);
          })
          .catch(function () { setTimeout(follow, 3000); });
      };
      setTimeout(follow, 500);
    }

    document.querySelectorAll("form[data-solve]").forEach(function (form) {
      form.addEventListener("submit", function () {
        var note = form.querySelector(".solving");
        if (note) note.hidden = false;
        var button = form.querySelector("button");
        if (button) button.disabled = true;
      });
    });

    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });

    document.querySelectorAll("form[data-drop]").forEach(function (form) {
      var input = form.querySelector("input[type=file]");
      if (!input) return;
      ["dragenter", "dragover"].forEach(function (name) {
        form.addEventListener(name, function (event) {
          event.preventDefault();
          form.classList.add("dragging");
        });
      });
      ["dragleave", "drop"].forEach(function (name) {
        form.addEventListener(name, function () { form.classList.remove("dragging"); });
      });
      form.addEventListener("drop", function (event) {
        event.preventDefault();
        if (event.dataTransfer && event.dataTransfer.files.length) {
          input.files = event.dataTransfer.files;
          form.submit();
        }
      });
    });
  });
})();
