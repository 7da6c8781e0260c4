/* avex big board: polls the public /api/board about once a second and shows tickers with price charts,
 * the leaderboard and the latest trades with their messages. Read-only, no credentials; text is inserted
 * as text, never HTML. */
"use strict";
(function () {
  const POLL_MS = 1000;
  const POINTS_PER_PRODUCT = 300;
  const $ = (s) => document.querySelector(s);
  const S = { offset: 0, endsAt: null, seen: new Set(), history: new Map(), prevLast: new Map(), first: true, failures: 0 };

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === "class") e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== undefined && c !== null) e.append(c instanceof Node ? c : String(c));
    return e;
  }
  const money = (v) => (typeof v === "number" ? v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : "—");
  const signed = (v) => (v > 0 ? `+${money(v)}` : money(v));
  const hhmmss = (ms) => new Date(ms).toLocaleTimeString("en-GB", { hour12: false });
  const now = () => Date.now() + S.offset;

  function record(fills) {
    const fresh = [];
    for (const f of [...fills].reverse()) {  // oldest first
      if (S.seen.has(f.fillId)) continue;
      S.seen.add(f.fillId);
      fresh.push(f.fillId);
      const h = S.history.get(f.product) || [];
      h.push({ t: Date.parse(f.executedAt), p: f.price });
      if (h.length > POINTS_PER_PRODUCT) h.splice(0, h.length - POINTS_PER_PRODUCT);
      S.history.set(f.product, h);
    }
    if (S.seen.size > 5000) S.seen = new Set(fills.map((f) => f.fillId));
    return new Set(fresh);
  }

  function renderTickers(tickers) {
    const box = $("#tickers");
    if (!tickers.length) { box.replaceChildren(el("div", { class: "empty" }, "No tradable products")); return; }
    const cards = [];
    const charts = [];
    for (const t of tickers) {
      const prev = S.prevLast.get(t.product);
      const dir = prev === undefined || t.lastPrice === undefined || prev === t.lastPrice ? "" : t.lastPrice > prev ? "up" : "down";
      if (t.lastPrice !== undefined) S.prevLast.set(t.product, t.lastPrice);
      const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      svg.setAttribute("viewBox", "0 0 300 80");
      charts.push([svg, t.product]);
      cards.push(el("div", { class: "tick", "data-product": t.product },
        el("div", { class: "name" }, t.product),
        el("div", { class: `last ${dir}` }, money(t.lastPrice)),
        el("div", { class: "quote" }, el("span", {}, "bid ", el("b", {}, money(t.bestBid))),
          el("span", {}, "ask ", el("b", {}, money(t.bestAsk))), el("span", {}, "vol ", el("b", {}, t.volume24h ?? 0))),
        svg));
    }
    box.replaceChildren(...cards);
    for (const [svg, product] of charts) {
      AvexChart.line(svg, S.history.get(product) || [], { fontSize: 13, width: 2.5, empty: "no trades yet", now: now() });
    }
  }

  function renderLeaderboard(rows) {
    const body = $("#leaderboard tbody");
    body.replaceChildren(...rows.map((r) => el("tr", {}, el("td", {}, r.rank), el("td", { title: r.teamName }, r.teamName),
      el("td", { class: `num ${r.roi > 0 ? "up" : r.roi < 0 ? "down" : ""}` }, `${r.roi.toFixed(2)} %`),
      el("td", { class: `num ${r.profitLoss > 0 ? "up" : r.profitLoss < 0 ? "down" : ""}` }, signed(r.profitLoss)))));
  }

  function renderTape(fills, fresh) {
    const items = fills.slice(0, 14).map((f) => {
      const msgs = [f.buyMessage && `buyer: “${f.buyMessage}”`, f.sellMessage && `seller: “${f.sellMessage}”`].filter(Boolean).join("  ·  ");
      return el("li", { class: fresh.has(f.fillId) && !S.first ? "new" : "", "data-fill": f.fillId },
        el("span", { class: "time" }, hhmmss(Date.parse(f.executedAt))),
        el("span", { class: "trade" }, `${f.product} ${f.quantity} @ ${money(f.price)}`),
        msgs ? el("div", { class: "msgs", title: msgs }, msgs) : null);
    });
    $("#tape").replaceChildren(...(items.length ? items : [el("li", { class: "empty" }, "No trades yet")]));
  }

  // "4:05", "1:02:03", "3 d 01:02:03"
  function countdown(ms) {
    const s = Math.floor(ms / 1000);
    const two = (n) => String(n).padStart(2, "0");
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d) return `${d} d ${two(h)}:${two(m)}:${two(s % 60)}`;
    return `${h ? `${h}:${two(m)}` : m}:${two(s % 60)}`;
  }

  function renderClock() {
    $("#clock").textContent = hhmmss(now());
    const c = $("#countdown");
    if (!S.endsAt) { c.textContent = ""; return; }
    const left = Date.parse(S.endsAt) - now();
    if (left <= 0) { c.textContent = "closing…"; return; }
    c.textContent = `closes in ${countdown(left)}`;
  }

  function render(data) {
    S.offset = Date.parse(data.serverTime) - Date.now();
    S.endsAt = data.endsAt || null;
    const st = $("#state");
    st.textContent = data.tournamentState;
    st.className = `state ${data.tournamentState}`;
    const fresh = record(data.fills);
    renderTickers(data.tickers);
    renderLeaderboard(data.leaderboard);
    renderTape(data.fills, fresh);
    renderClock();
    S.first = false;
  }

  async function poll() {
    try {
      const res = await fetch("/api/board", { cache: "no-store" });
      if (res.status === 404) { $("#status").textContent = "The board is not public for this tournament."; return; }
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      render(await res.json());
      S.failures = 0;
      $("#status").textContent = "";
    } catch (err) {
      S.failures += 1;
      $("#status").textContent = S.failures > 2 ? "reconnecting…" : "";
    }
    setTimeout(poll, POLL_MS);
  }

  setInterval(renderClock, 250);
  poll();
})();
