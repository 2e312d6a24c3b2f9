// Reintegration planner — all page scripts (CSP: no inline scripts).
"use strict";

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, function (m, key) {
    return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : m;
  });
}

// Ask before submitting forms marked data-confirm (delete).
function setupConfirm() {
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
}

// Poll the run's status while it is queued/running; reload or open the result when it ends.
function setupProgress() {
  var box = document.getElementById("progress");
  if (!box) { return; }
  var bar = box.querySelector("progress");
  var pct = box.querySelector(".pct");
  var message = box.querySelector(".message");
  function poll() {
    fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.status === "done") { window.location.assign(box.dataset.resultUrl); return; }
        if (s.status !== "running" && s.status !== "queued") { window.location.reload(); return; }
        bar.value = s.progress;
        pct.textContent = Math.round(s.progress * 100) + "%";
        message.textContent = s.message || s.status_text;
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
}

// Client-side search and ward filter of the assignments table.
function setupFilter() {
  var search = document.getElementById("assign-search");
  var ward = document.getElementById("assign-ward");
  var table = document.getElementById("assignments");
  var count = document.getElementById("assign-count");
  if (!search || !table) { return; }
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var texts = rows.map(function (row) { return fold(row.textContent); });
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
  }
  function apply() {
    var needle = fold(search.value.trim());
    var w = ward ? ward.value : "";
    var shown = 0;
    rows.forEach(function (row, i) {
      var ok = (!needle || texts[i].indexOf(needle) !== -1) && (!w || row.dataset.ward === w);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    if (count) { count.textContent = fill(count.dataset.template, { shown: shown, total: rows.length }); }
  }
  search.addEventListener("input", apply);
  if (ward) { ward.addEventListener("change", apply); }
  apply();
}

// Top-5 alternative mentors for one returnee, fetched on click.
function setupAlternatives() {
  var panel = document.getElementById("alt-panel");
  if (!panel) { return; }
  // [[key, label], ...] in display order; keys the server adds beyond these come last.
  var order = JSON.parse(panel.dataset.labels || "[]");
  var labels = {};
  order.forEach(function (pair) { labels[pair[0]] = pair[1]; });
  function show(title, body) {
    panel.replaceChildren();
    var h = document.createElement("h3");
    h.textContent = title;
    panel.appendChild(h);
    panel.appendChild(body);
    panel.hidden = false;
    panel.scrollIntoView({ block: "nearest" });
  }
  function text(t) { var p = document.createElement("p"); p.textContent = t; return p; }
  function table(items) {
    var keys = [];
    order.forEach(function (pair) {
      var k = pair[0];
      if (items.some(function (it) { return it[k] !== undefined && it[k] !== null; })) { keys.push(k); }
    });
    items.forEach(function (it) {
      Object.keys(it).forEach(function (k) {
        if (!(k in labels) && keys.indexOf(k) === -1) { keys.push(k); }
      });
    });
    var t = document.createElement("table");
    t.className = "data";
    var head = t.createTHead().insertRow();
    keys.forEach(function (k) {
      var th = document.createElement("th");
      th.textContent = labels[k] || k;
      head.appendChild(th);
    });
    var body = t.createTBody();
    items.forEach(function (it) {
      var row = body.insertRow();
      keys.forEach(function (k) {
        var v = it[k];
        if (v === true) { v = panel.dataset.yes; } else if (v === false) { v = panel.dataset.no; }
        if (v !== null && typeof v === "object") { v = JSON.stringify(v); }
        row.insertCell().textContent = v === undefined || v === null ? "" : String(v);
      });
    });
    return t;
  }
  document.querySelectorAll("button.alt-button").forEach(function (button) {
    button.addEventListener("click", function () {
      var title = fill(panel.dataset.title, { id: button.dataset.returnee });
      show(title, text(panel.dataset.loading));
      fetch(button.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (data.error || !Array.isArray(data.alternatives)) { show(title, text(data.error || panel.dataset.error)); }
          else if (data.alternatives.length === 0) { show(title, text(panel.dataset.none)); }
          else { show(title, table(data.alternatives)); }
        })
        .catch(function () { show(title, text(panel.dataset.error)); });
    });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  setupConfirm();
  setupProgress();
  setupFilter();
  setupAlternatives();
});
