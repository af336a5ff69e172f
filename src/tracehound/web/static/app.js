// tracehound workbench. Every string that comes from evidence or from the server is put on the
// page with textContent or as an attribute value, never parsed as HTML.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);

  function show(el, yes) { if (el) el.hidden = !yes; }

  function say(id, text) {
    const el = $(id);
    if (!el) return;
    el.textContent = text;
    show(el, Boolean(text));
  }

  function humanBytes(n) {
    const units = ["bytes", "KB", "MB", "GB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
  }

  async function errorText(response) {
    const text = await response.text();
    try {
      const body = JSON.parse(text);
      if (body && typeof body.detail === "string") return body.detail;
    } catch (e) { /* plain text */ }
    return text || ("HTTP " + response.status);
  }

  // ---------------------------------------------------------------- progress of a job
  function setProgress(percent, text) {
    show($("progress"), true);
    const bar = $("progress-bar");
    if (bar) bar.value = percent;
    say("progress-text", text);
  }

  function followJob(jobId, onDone) {
    const poll = async () => {
      let job;
      try {
        const response = await fetch("/api/jobs/" + encodeURIComponent(jobId),
                                     {cache: "no-store"});
        if (!response.ok) { say("error", await errorText(response)); return; }
        job = await response.json();
      } catch (e) {
        setTimeout(poll, 1000);
        return;
      }
      const count = job.total ? " (" + job.done + "/" + job.total + ")" : "";
      setProgress(job.percent, job.what + count + " · " + job.percent + "%");
      if (job.state === "done") { onDone(job); return; }
      if (job.state === "failed" || job.state === "unavailable") {
        say("error", "Analysis failed: " + (job.error || "unknown error"));
        onDone(job);
        return;
      }
      setTimeout(poll, 250);
    };
    poll();
  }

  function upload(url, form, onAccepted) {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.responseType = "text";
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) {
        const pct = Math.floor((e.loaded / e.total) * 100);
        setProgress(pct, "uploading " + humanBytes(e.loaded) + " of " + humanBytes(e.total));
      }
    };
    xhr.onerror = () => say("error", "The upload failed: the server could not be reached.");
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      if (xhr.status >= 200 && xhr.status < 300 && body && body.job) {
        onAccepted(body);
      } else {
        const detail = body && typeof body.detail === "string" ? body.detail : xhr.responseText;
        say("error", "Upload refused (" + xhr.status + "): " + detail);
        show($("progress"), false);
      }
    };
    say("error", "");
    setProgress(0, "uploading");
    xhr.send(form);
  }

  // ---------------------------------------------------------------- home page: intake
  const staged = [];           // {file, path}
  let baseline = null;

  function renderStaged() {
    const list = $("staged");
    if (!list) return;
    list.replaceChildren();
    let total = 0;
    staged.forEach((item) => { total += item.file.size; });
    staged.slice(0, 200).forEach((item) => {
      const li = document.createElement("li");
      li.textContent = item.path + " · " + humanBytes(item.file.size);
      list.appendChild(li);
    });
    if (staged.length > 200) {
      const li = document.createElement("li");
      li.textContent = "… and " + (staged.length - 200) + " more";
      list.appendChild(li);
    }
    let summary = staged.length + " file" + (staged.length === 1 ? "" : "s") + " · " +
      humanBytes(total);
    if (baseline) summary += " · baseline " + baseline.name;
    say("staged-summary", summary);
    show($("staged-box"), staged.length > 0);
  }

  function addFiles(files) {
    for (const item of files) {
      const path = item.path || item.file.webkitRelativePath || item.file.name;
      staged.push({file: item.file, path: path.replace(/^\/+/, "")});
    }
    renderStaged();
  }

  function readAllEntries(reader) {
    return new Promise((resolve, reject) => {
      const all = [];
      const next = () => reader.readEntries((batch) => {
        if (!batch.length) { resolve(all); return; }
        all.push(...batch);
        next();
      }, reject);
      next();
    });
  }

  async function walkEntry(entry, out) {
    if (entry.isFile) {
      const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
      out.push({file: file, path: entry.fullPath || file.name});
    } else if (entry.isDirectory) {
      const children = await readAllEntries(entry.createReader());
      for (const child of children) await walkEntry(child, out);
    }
  }

  async function filesFromDrop(dataTransfer) {
    // Entries must be taken while the drop event runs; walking folders can happen later.
    const entries = [];
    const loose = [];
    for (const item of Array.from(dataTransfer.items || [])) {
      if (item.kind !== "file") continue;
      const entry = item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
      if (entry) entries.push(entry);
      else { const f = item.getAsFile(); if (f) loose.push({file: f, path: f.name}); }
    }
    if (!entries.length && !loose.length) {
      for (const f of Array.from(dataTransfer.files || [])) loose.push({file: f, path: f.name});
    }
    const out = loose.slice();
    for (const entry of entries) await walkEntry(entry, out);
    return out;
  }

  function startAnalysis() {
    if (!staged.length) return;
    const form = new FormData();
    for (const item of staged) {
      form.append("files", item.file, item.file.name);
      form.append("paths", item.path);
    }
    if (baseline) form.append("baseline", baseline, baseline.name);
    $("analyze").disabled = true;
    upload("/api/cases", form, (body) => {
      followJob(body.job.id, (job) => {
        if (job.state === "done") window.location.assign(body.url);
        else $("analyze").disabled = false;
      });
    });
  }

  function initHome() {
    const zone = $("dropzone");
    ["dragenter", "dragover"].forEach((name) => zone.addEventListener(name, (e) => {
      e.preventDefault();
      zone.classList.add("over");
    }));
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      zone.classList.remove("over");
      filesFromDrop(e.dataTransfer).then(addFiles,
        (err) => say("error", "Could not read the dropped files: " + err));
    });
    $("pick-files").addEventListener("change", (e) => {
      addFiles(Array.from(e.target.files).map((f) => ({file: f, path: f.name})));
      e.target.value = "";
    });
    $("pick-folder").addEventListener("change", (e) => {
      addFiles(Array.from(e.target.files).map((f) => ({file: f,
        path: f.webkitRelativePath || f.name})));
      e.target.value = "";
    });
    $("pick-baseline").addEventListener("change", (e) => {
      baseline = e.target.files[0] || null;
      renderStaged();
    });
    $("analyze").addEventListener("click", startAnalysis);
    $("clear").addEventListener("click", () => { staged.length = 0; renderStaged(); });
  }

  // ---------------------------------------------------------------- case page
  function applyFilters() {
    const chosen = {};
    document.querySelectorAll("#finding-filters select").forEach((s) => {
      chosen[s.dataset.field] = s.value;
    });
    const rows = document.querySelectorAll("tr.finding-row");
    let shown = 0;
    rows.forEach((row) => {
      const keep = Object.keys(chosen).every((k) => !chosen[k] || row.dataset[k] === chosen[k]);
      row.hidden = !keep;
      if (keep) shown += 1;
    });
    say("finding-shown", shown + " of " + rows.length + " shown");
  }

  async function openExcerpt(link) {
    const panel = $("excerpt");
    say("excerpt-path", "");
    say("excerpt-note", "loading…");
    $("excerpt-text").textContent = "";
    show(panel, true);
    const response = await fetch(link.getAttribute("href"), {cache: "no-store"});
    if (!response.ok) {
      say("excerpt-note", "Not available: " + await errorText(response));
      return;
    }
    const body = await response.json();
    $("excerpt-path").textContent = body.path;
    $("excerpt-locator").textContent = body.locator;
    $("excerpt-sha").textContent = "sha256 " + body.sha256;
    say("excerpt-note", body.note || "");
    $("excerpt-text").textContent = body.text;
  }

  function reanalyze(url, form) {
    const caseUrl = window.location.pathname;
    const after = (body) => followJob(body.job.id, (job) => {
      if (job.state === "done") window.location.assign(caseUrl);
    });
    if (form) { upload(url, form, after); return; }
    fetch(url, {method: "POST"}).then(async (response) => {
      if (!response.ok) { say("error", await errorText(response)); return; }
      after(await response.json());
    });
  }

  function initCase() {
    const root = $("case");
    const caseId = root.dataset.caseId;
    if (root.dataset.jobId) {
      followJob(root.dataset.jobId, () => window.location.reload());
    }
    document.querySelectorAll("#finding-filters select").forEach((s) => {
      s.addEventListener("change", applyFilters);
    });
    document.addEventListener("click", (e) => {
      const link = e.target.closest ? e.target.closest("a.ref") : null;
      if (!link) return;
      e.preventDefault();
      openExcerpt(link).catch((err) => say("excerpt-note", "Not available: " + err));
    });
    const close = $("excerpt-close");
    if (close) close.addEventListener("click", () => show($("excerpt"), false));
    const again = $("analyze-again");
    if (again) {
      again.addEventListener("click", () => {
        again.disabled = true;
        reanalyze("/api/cases/" + encodeURIComponent(caseId) + "/analyze", null);
      });
    }
    const addBaseline = $("add-baseline");
    if (addBaseline) {
      addBaseline.addEventListener("change", (e) => {
        const file = e.target.files[0];
        if (!file) return;
        const form = new FormData();
        form.append("baseline", file, file.name);
        reanalyze("/api/cases/" + encodeURIComponent(caseId) + "/baseline", form);
      });
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const page = document.body.dataset.page;
    if (page === "home") initHome();
    if (page === "case") initCase();
  });
})();
