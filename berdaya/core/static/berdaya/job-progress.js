/* The job page (core/job_detail.html): poll the status until the job finishes, then reload to show the result. */
(function () {
  var box = document.getElementById("job"), bar = document.getElementById("job-progress");
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (job) {
        if (job.finished) { window.location.reload(); return; }
        document.getElementById("job-status").textContent = job.status_label;
        if (job.message) { document.getElementById("job-message").textContent = job.message; }
        if (job.total) { bar.max = job.total; bar.value = job.done; }
        window.setTimeout(poll, Number(box.dataset.pollMs));
      })
      .catch(function () { window.setTimeout(poll, 3 * Number(box.dataset.pollMs)); });
  }
  window.setTimeout(poll, Number(box.dataset.pollMs));
})();
