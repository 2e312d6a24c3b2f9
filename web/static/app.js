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
        pct.textContent = s.percent || Math.round(s.progress * 100) + "%";
        message.textContent = s.message || s.status_text;
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
}

// Tables one page at a time: the page holds the first page of each table
// (<div class="paged" data-url="/runs/<id>/table/<name>">); searching, the ward filter and
// the pager ask the server for a page and put its rows and pager in place. Without this
// script the same form and links reload the whole page.
function setupTables() {
  document.querySelectorAll("div.paged[data-url]").forEach(function (box) {
    var form = box.querySelector("form.filters");
    var body = box.querySelector("tbody");
    var asked = 0;
    var timer = null;
    function load(page) {
      var url = new URL(box.dataset.url, window.location.href);
      if (form) {
        ["q", "ward"].forEach(function (name) {
          var field = form.elements[name];
          if (field && field.value) { url.searchParams.set(name, field.value); }
        });
      }
      url.searchParams.set("page", String(page));
      var mine = ++asked;
      box.setAttribute("aria-busy", "true");
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (data) {
          if (mine !== asked) { return; }  // a later request is on its way
          body.innerHTML = data.html;
          var pager = box.querySelector("nav.pager");
          if (pager) { pager.outerHTML = data.pager; }
          box.dataset.page = String(data.page);
          box.dataset.total = String(data.total);
          box.removeAttribute("aria-busy");
        })
        .catch(function () {
          if (mine !== asked) { return; }
          box.removeAttribute("aria-busy");
          var count = box.querySelector("nav.pager .count");
          if (count) { count.textContent = box.dataset.failed || ""; }
        });
    }
    if (form) {
      form.addEventListener("submit", function (event) { event.preventDefault(); load(1); });
      form.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () { load(1); }, 250);
      });
      form.addEventListener("change", function () { window.clearTimeout(timer); load(1); });
    }
    box.addEventListener("click", function (event) {
      var link = event.target.closest("nav.pager a[data-page]");
      if (!link) { return; }
      event.preventDefault();
      load(Number(link.dataset.page));
    });
  });
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
  // one listener for every row, also those a later page of the table brings
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.alt-button");
    if (!button) { return; }
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
}

document.addEventListener("DOMContentLoaded", function () {
  setupConfirm();
  setupProgress();
  setupTables();
  setupAlternatives();
});
