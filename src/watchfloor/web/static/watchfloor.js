// Every script the pages run, from one file: the Content-Security-Policy of a page allows
// scripts from this server only, never inline. A page says what it wants through its markup:
// a chart is a <div data-chart> with its plotly.js data in a <script type="application/json">,
// a live table carries data-live="1".
"use strict";

(function () {
  function cell(text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    return td;
  }

  function link(href, text) {
    const td = document.createElement("td"), a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    td.append(a);
    return td;
  }

  function isoMinute(text) {
    return text.replace(/\.\d+/, "").replace("+00:00", "Z");
  }

  function clock() {
    return new Date().toISOString().slice(11, 19);
  }

  // Ask `url()` every `every` ms; `take(page)` adds what came. A refusal or a network error
  // pauses the updates with the reason shown in `status`.
  function poll(url, every, status, take) {
    async function once() {
      try {
        const r = await fetch(url(), {credentials: "same-origin"});
        if (!r.ok) { status.textContent = `Live updates paused (${r.status}).`; return; }
        take(await r.json());
      } catch (e) {
        status.textContent = "Live updates paused (network).";
      }
    }
    setInterval(once, every);
  }

  // New rows go on top, oldest of the batch first; the "nothing here" row goes.
  function prepend(body, items, row) {
    const empty = body.querySelector("tr.empty");
    if (items.length && empty) empty.remove();
    for (const item of items.slice().reverse()) body.prepend(row(item));
  }

  function charts() {
    for (const div of document.querySelectorAll("div[data-chart]")) {
      const spec = document.getElementById(div.dataset.chart);
      if (!spec || typeof Plotly === "undefined") continue;
      const [data, layout, config] = JSON.parse(spec.textContent);
      Plotly.newPlot(div, data, layout, config);
      const target = div.dataset.clickHref;
      if (target) {
        div.on("plotly_click", function (ev) {
          const id = ev.points[0].customdata;
          if (id) window.location = target.replace("{}", encodeURIComponent(id));
        });
      }
    }
  }

  function shipmentQueue() {
    const table = document.getElementById("queue");
    if (!table || table.dataset.live !== "1") return;
    const body = table.tBodies[0], status = document.getElementById("live-status");
    let after = Number(table.dataset.after);
    const minScore = Number(table.dataset.minScore);
    const url = () => `/api/v1/shipments?after=${after}&limit=200` + (minScore ? `&min_score=${minScore}` : "");
    poll(url, 2000, status, function (page) {
      prepend(body, page.items, function (s) {
        const tr = document.createElement("tr");
        tr.dataset.id = s.id;
        tr.className = "fresh";
        const score = cell("", "r"), badge = document.createElement("span");
        badge.className = `score s${Math.floor(s.score / 25) * 25}`;
        badge.textContent = s.score;
        score.append(badge);
        tr.append(score, link(`/shipments/${s.id}`, s.reference), cell(s.mode), cell(s.origin_country),
          cell(s.office || "—"), cell(s.sender_name), cell(s.item_count, "r"),
          cell(isoMinute(s.received_at)), cell(s.status));
        after = Math.max(after, s.id);
        return tr;
      });
      if (page.items.length) status.textContent = `${page.items.length} new shipment(s) at ${clock()} UTC`;
    });
  }

  function dashboard() {
    const at = document.getElementById("board-at"), status = document.getElementById("board-status");
    if (!at || !status) return;
    // the figures follow the floor: counted again every few seconds, without a reload
    poll(() => "/api/v1/dashboard", 5000, status, function (board) {
      for (const card of board.cards) {
        for (const f of card.figures) {
          const el = document.getElementById(f.key);
          if (!el) continue;
          el.textContent = f.count;
          el.classList.toggle("urgent", f.urgent && f.count > 0);
        }
      }
      at.textContent = isoMinute(board.at);
      status.textContent = "";
    });
  }

  function alertsInbox() {
    const table = document.getElementById("alerts");
    if (!table || table.dataset.live !== "1") return;
    const body = table.tBodies[0], status = document.getElementById("alerts-status");
    const pages = JSON.parse(table.dataset.pages || "{}");
    let after = Number(table.dataset.after);
    poll(() => `/api/v1/alerts?after=${after}&limit=100`, 2000, status, function (page) {
      prepend(body, page.items, function (a) {
        const tr = document.createElement("tr");
        tr.className = "fresh";
        const target = pages[a.object_type];
        const title = target && a.sharing.owner === table.dataset.me
          ? link(target.replace("{}", a.object_id), a.title) : cell(a.title);
        tr.append(cell(isoMinute(a.created_at)), cell(a.sharing.owner), cell(a.kind.replaceAll("_", " ")),
          cell(a.score ?? "—"), title, cell(a.office || "—"), cell(a.status));
        if (table.dataset.works === "1") tr.append(cell("reload to work it"));
        after = Math.max(after, a.id);
        return tr;
      });
      if (page.items.length) status.textContent = `${page.items.length} new alert(s)`;
    });
  }

  function warnings() {
    const table = document.getElementById("warnings");
    if (!table || table.dataset.live !== "1") return;
    const body = table.tBodies[0], status = document.getElementById("live-status");
    let after = Number(table.dataset.after);
    const query = table.dataset.query ? "&" + table.dataset.query : "";
    poll(() => `/api/v1/warning/warnings?after=${after}&limit=100${query}`, 3000, status, function (page) {
      prepend(body, page.items, function (w) {
        const tr = document.createElement("tr");
        tr.dataset.id = w.id;
        tr.className = "fresh";
        tr.append(cell(w.period_start), cell(w.kind), cell(w.algorithm),
          link(`/warning/warnings/${w.id}`, w.summary), cell(w.owner), cell(w.tlp));
        after = Math.max(after, w.id);
        return tr;
      });
      if (page.items.length) status.textContent = `${page.items.length} new at ${clock()} UTC`;
    });
  }

  function start() {
    charts();
    shipmentQueue();
    dashboard();
    alertsInbox();
    warnings();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
