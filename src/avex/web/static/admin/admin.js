/* avex referee dashboard.
 *
 * Logs in with an admin token over the WebSocket (/ws) and stays live: TICKER, ORDER_BOOK_UPDATE and FILL
 * copies are pushed to admins; the leaderboard, sessions and teams are polled. The token also authorizes
 * the read API (/api/…, Bearer) used for the initial fills, per-team ledgers and CSV exports. It is kept
 * in this tab's sessionStorage only and never put in a URL. All user text is inserted as text, never HTML. */
"use strict";
(function () {
  const TOKEN_KEY = "avex.admin.token";
  const MAX_FILLS = 2000;
  const TAPE_ROWS = 200;
  const LEADERBOARD_EVERY_MS = 15000;
  const SESSIONS_EVERY_MS = 5000;
  const TEAMS_EVERY_MS = 20000;

  const $ = (sel) => document.querySelector(sel);
  const S = {
    token: null, ws: null, loggedIn: false, team: null, retry: 0, closing: false,
    products: [], tradable: [], tickers: {}, books: {}, fills: new Map(), teams: [], leaderboard: [],
    sessions: [], stats: null, tournament: { state: "?", endsAt: null }, selected: null, offset: 0,
    timers: [], dirty: new Set(), renderTimer: null, lbTimer: null, prevRanks: new Map(),
  };

  // --- small helpers ----------------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(e.dataset, v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c !== undefined && c !== null) e.append(c instanceof Node ? c : String(c));
    return e;
  }
  const money = (v) => (typeof v === "number" ? v.toLocaleString("en-US", { minimumFractionDigits: 2,
    maximumFractionDigits: 2 }) : "—");
  const pct = (v) => (typeof v === "number" ? v.toFixed(2) : "—");
  const hhmmss = (ms) => new Date(ms).toLocaleTimeString("en-GB", { hour12: false });
  const serverNow = () => Date.now() + S.offset;

  function log(text, kind) {
    const li = el("li", { class: kind || "" }, `${hhmmss(Date.now())} ${text}`);
    const ol = $("#log");
    ol.prepend(li);
    while (ol.children.length > 200) ol.lastChild.remove();
  }
  function toast(text, kind) {
    const t = el("div", { class: `toast ${kind || ""}`, role: kind === "err" ? "alert" : "status" }, text);
    $("#toasts").append(t);
    setTimeout(() => t.remove(), kind === "err" ? 7000 : 4000);
    log(text, kind);
  }
  function send(msg) {
    if (!S.ws || S.ws.readyState !== WebSocket.OPEN) { toast("Not connected", "err"); return false; }
    S.ws.send(JSON.stringify(msg));
    return true;
  }
  function dirty(...parts) {
    for (const p of parts) S.dirty.add(p);
    if (!S.renderTimer) S.renderTimer = setTimeout(render, 60);
  }

  // --- modal dialogs (confirmation before destructive actions) ---------------------------------------
  function modal(title, body, opts) {
    const o = opts || {};
    return new Promise((resolve) => {
      $("#modal-title").textContent = title;
      const holder = $("#modal-body");
      holder.replaceChildren(typeof body === "string" ? el("p", {}, body) : body);
      const ok = $("#modal-ok"), cancel = $("#modal-cancel");
      ok.textContent = o.ok || "OK";
      ok.className = o.danger ? "danger" : "";
      cancel.hidden = !!o.noCancel;
      $("#modal").hidden = false;
      const done = (value) => {
        $("#modal").hidden = true;
        ok.onclick = cancel.onclick = null;
        document.removeEventListener("keydown", onKey);
        resolve(value);
      };
      const onKey = (ev) => { if (ev.key === "Escape") done(false); };
      document.addEventListener("keydown", onKey);
      ok.onclick = () => done(true);
      cancel.onclick = () => done(false);
      (o.focus || ok).focus();
    });
  }
  const confirmAction = (title, text, okText) => modal(title, text, { ok: okText || "Confirm", danger: true });

  // --- HTTP read API (Bearer) ---------------------------------------------------------------------------
  async function api(path) {
    const res = await fetch(path, { headers: { Authorization: `Bearer ${S.token}` }, cache: "no-store" });
    if (!res.ok) throw new Error(`${path.split("?")[0]}: HTTP ${res.status}`);
    return res;
  }
  async function download(path, filename) {
    try {
      const blob = await (await api(path)).blob();
      const url = URL.createObjectURL(blob);
      const a = el("a", { href: url, download: filename });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      log(`exported ${filename}`, "okk");
    } catch (err) {
      toast(`Export failed: ${err.message}`, "err");
    }
  }

  // --- connection and login -----------------------------------------------------------------------------
  function setConn(text, cls) { const c = $("#conn"); c.textContent = text; c.className = `conn ${cls}`; }

  function connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${proto}://${location.host}/ws`);
    S.ws = ws;
    setConn("connecting", "wait");
    ws.onopen = () => { ws.send(JSON.stringify({ type: "LOGIN", token: S.token })); };
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch (_) { return; }
      if (msg.serverTime) S.offset = Date.parse(msg.serverTime) - Date.now();
      handle(msg);
    };
    ws.onclose = () => {
      if (S.ws !== ws) return;
      setConn("offline", "off");
      stopTimers();
      if (S.loggedIn && !S.closing) {
        const delay = Math.min(10000, 500 * 2 ** S.retry++);
        setConn(`reconnecting in ${Math.round(delay / 1000)} s`, "wait");
        setTimeout(() => { if (S.loggedIn && !S.closing) connect(); }, delay);
      }
    };
  }

  function login(token) {
    S.token = token;
    S.closing = false;
    $("#login-error").textContent = "";
    connect();
  }

  function logout() {
    S.closing = true;
    S.loggedIn = false;
    sessionStorage.removeItem(TOKEN_KEY);
    S.token = null;
    if (S.ws) S.ws.close();
    stopTimers();
    $("#dash").hidden = true;
    $("#login").hidden = false;
    $("#logout").hidden = true;
    $("#who").textContent = "";
  }

  function stopTimers() { S.timers.forEach(clearInterval); S.timers = []; }

  async function bootstrap() {
    try {
      const prod = await (await api("/api/products")).json();
      S.products = prod.products.map((p) => p.product);
      S.tradable = prod.products.filter((p) => p.tradable).map((p) => p.product);
      for (const p of prod.products) {
        if (!p.tradable) continue;
        const t = S.tickers[p.product] || {};
        S.tickers[p.product] = { ...t, product: p.product, bestBid: p.bestBid, bestAsk: p.bestAsk,
          lastPrice: p.lastPrice, volume24h: p.volume24h };
      }
      if (!S.selected || !S.tradable.includes(S.selected)) S.selected = S.tradable[0] || null;
      fillSelects();
      for (const p of S.tradable) send({ type: "REQUEST_ORDER_BOOK", product: p });
      const since = new Date(serverNow() - 3 * 3600 * 1000).toISOString();
      const fills = await (await api(`/api/fills?since=${encodeURIComponent(since)}&limit=${MAX_FILLS}`)).json();
      for (const f of fills.fills) {
        addFill({ fillId: f.fillId, seq: f.seq, product: f.product, qty: f.quantity, price: f.price,
          time: Date.parse(f.executedAt), buyTeam: f.buyTeam, sellTeam: f.sellTeam,
          buyMessage: f.buyMessage, sellMessage: f.sellMessage });
      }
      dirty("markets", "book", "tape", "chart");
    } catch (err) {
      toast(`Loading failed: ${err.message}`, "err");
    }
  }

  function startPolling() {
    stopTimers();
    const poll = (fn, every) => { fn(); S.timers.push(setInterval(fn, every)); };
    poll(() => send({ type: "REQUEST_PERFORMANCE_REPORT", scope: "global" }), LEADERBOARD_EVERY_MS);
    poll(() => send({ type: "REQUEST_CONNECTED_SESSIONS" }), SESSIONS_EVERY_MS);
    poll(() => send({ type: "GET_ALL_TEAMS" }), TEAMS_EVERY_MS);
    S.timers.push(setInterval(renderCountdown, 1000));
  }

  // After trades: the leaderboard and the teams' cash and goods, at most once per 700 ms.
  function refreshLeaderboardSoon() {
    if (S.lbTimer) return;
    S.lbTimer = setTimeout(() => {
      S.lbTimer = null;
      send({ type: "REQUEST_PERFORMANCE_REPORT", scope: "global" });
      send({ type: "GET_ALL_TEAMS" });
    }, 700);
  }

  // --- inbound messages ---------------------------------------------------------------------------------
  const OK_REPLIES = new Set(["TEAM_UPDATED", "TEAM_MEMBERS_UPDATED", "INVENTORY_ADDED", "TOURNAMENT_RESET_COMPLETE",
    "RECIPES_UPDATED", "TEAMS_SEEDED"]);

  function handle(msg) {
    switch (msg.type) {
      case "LOGIN_OK":
        if (!msg.admin) {
          S.closing = true;
          S.ws.close();
          $("#login-error").textContent = `"${msg.team}" is not an admin team`;
          sessionStorage.removeItem(TOKEN_KEY);
          return;
        }
        S.loggedIn = true;
        S.retry = 0;
        S.team = msg.team;
        sessionStorage.setItem(TOKEN_KEY, S.token);
        S.tournament = { state: msg.tournamentState, endsAt: msg.endsAt || null };
        setConn("live", "on");
        $("#who").textContent = `logged in as ${msg.team}`;
        $("#login").hidden = true;
        $("#dash").hidden = false;
        $("#logout").hidden = false;
        dirty("tournament");
        startPolling();
        bootstrap();
        return;
      case "ERROR":
        if (!S.loggedIn && msg.code === "AUTH_FAILED") {
          S.closing = true;
          S.ws.close();
          $("#login-error").textContent = msg.reason;
          sessionStorage.removeItem(TOKEN_KEY);
          setConn("offline", "off");
          return;
        }
        toast(`${msg.code}: ${msg.reason}${msg.clOrdID ? ` (${msg.clOrdID})` : ""}`, "err");
        return;
      case "TICKER":
        S.tickers[msg.product] = msg;
        dirty("markets");
        return;
      case "ORDER_BOOK_UPDATE":
        S.books[msg.product] = msg;
        dirty("book", "markets");
        return;
      case "FILL":
        onFill(msg);
        return;
      case "TOURNAMENT_STATE":
        S.tournament = { state: msg.state, endsAt: msg.endsAt || null };
        dirty("tournament");
        return;
      case "BROADCAST_NOTIFICATION":
        log(`broadcast from ${msg.sender}: ${msg.message}`);
        return;
      case "ADMIN_ACTION_RESPONSE":
        toast(msg.message, msg.success ? "okk" : "err");
        if (msg.action === "CANCEL_ORDER" || msg.action === "CANCEL_ALL_ORDERS" || msg.action === "CREATE_ORDER") {
          send({ type: "GET_ALL_TEAMS" });
        }
        return;
      case "GLOBAL_PERFORMANCE_REPORT":
        S.leaderboard = msg.topTraders || [];
        dirty("leaderboard");
        return;
      case "CONNECTED_SESSIONS":
        S.sessions = msg.sessions || [];
        dirty("sessions");
        return;
      case "SERVER_STATS":
        S.stats = msg.stats;
        dirty("sessions");
        return;
      case "ALL_TEAMS":
        S.teams = msg.teams || [];
        dirty("teams");
        return;
      case "TEAM_ACTIVITY":
        showActivity(msg);
        return;
      default:
        if (OK_REPLIES.has(msg.type)) {
          toast(msg.message || msg.type, msg.success === false ? "err" : "okk");
          send({ type: "GET_ALL_TEAMS" });
          if (msg.type === "TOURNAMENT_RESET_COMPLETE") refreshLeaderboardSoon();
        }
    }
  }

  // A FILL copy: the buyer's copy carries the seller's message and vice versa; both share the fillId.
  function onFill(msg) {
    const base = { fillId: msg.fillId, seq: msg.seq, product: msg.product, qty: msg.fillQty, price: msg.fillPrice,
      time: Date.parse(msg.serverTime) || serverNow() };
    if (msg.side === "BUY") {
      Object.assign(base, { buyTeam: msg.teamName, sellTeam: msg.counterparty, sellMessage: msg.counterpartyMessage });
    } else {
      Object.assign(base, { sellTeam: msg.teamName, buyTeam: msg.counterparty, buyMessage: msg.counterpartyMessage });
    }
    addFill(base, true);
    dirty("tape", "chart", "markets");
    refreshLeaderboardSoon();
  }

  function addFill(f, fresh) {
    const old = S.fills.get(f.fillId);
    if (old) {
      for (const [k, v] of Object.entries(f)) if (v !== undefined && v !== null) old[k] = v;
      return;
    }
    f.fresh = !!fresh;
    S.fills.set(f.fillId, f);
    if (S.fills.size > MAX_FILLS) {
      const sorted = [...S.fills.values()].sort(byTime);
      for (const x of sorted.slice(0, S.fills.size - MAX_FILLS)) S.fills.delete(x.fillId);
    }
  }
  const byTime = (a, b) => a.time - b.time || a.seq - b.seq || (a.fillId < b.fillId ? -1 : 1);

  // --- rendering ----------------------------------------------------------------------------------------
  function render() {
    S.renderTimer = null;
    const d = S.dirty;
    S.dirty = new Set();
    if (d.has("tournament")) renderTournament();
    if (d.has("markets")) renderMarkets();
    if (d.has("chart")) renderChart();
    if (d.has("book")) renderBook();
    if (d.has("tape")) renderTape();
    if (d.has("leaderboard")) renderLeaderboard();
    if (d.has("sessions")) renderSessions();
    if (d.has("teams")) renderTeams();
  }

  function renderTournament() {
    const st = $("#t-state");
    st.textContent = S.tournament.state;
    st.className = `state ${S.tournament.state}`;
    for (const b of document.querySelectorAll("[data-control]")) {
      const target = { OPEN: "OPEN", PAUSE: "PAUSED", CLOSE: "CLOSED" }[b.dataset.control];
      b.disabled = target === S.tournament.state;
    }
    renderCountdown();
  }

  function renderCountdown() {
    const c = $("#t-countdown");
    if (!S.tournament.endsAt) { c.textContent = "no scheduled end"; return; }
    const left = Date.parse(S.tournament.endsAt) - serverNow();
    if (left <= 0) { c.textContent = "ending…"; return; }
    const s = Math.floor(left / 1000);
    const two = (n) => String(n).padStart(2, "0");
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    const text = d ? `${d} d ${two(h)}:${two(m)}:${two(s % 60)}` : `${h ? `${h}:${two(m)}` : m}:${two(s % 60)}`;
    c.textContent = `closes in ${text} (${new Date(S.tournament.endsAt).toLocaleString()})`;
  }

  function pricePoints(product) {
    return [...S.fills.values()].filter((f) => f.product === product).sort(byTime).map((f) => ({ t: f.time, p: f.price }));
  }

  function renderMarkets() {
    const body = $("#markets tbody");
    const rows = [];
    for (const p of S.tradable) {
      const t = S.tickers[p] || {};
      const spark = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      spark.setAttribute("class", "spark");
      spark.setAttribute("viewBox", "0 0 120 24");
      const tr = el("tr", { class: `pick${p === S.selected ? " sel" : ""}`, dataset: { product: p },
        onclick: () => { S.selected = p; $("#book-product").value = p; dirty("markets", "book", "chart"); } },
      el("td", {}, p), el("td", { class: "num buy" }, money(t.bestBid)), el("td", { class: "num sell" }, money(t.bestAsk)),
      el("td", { class: "num" }, money(t.lastPrice)), el("td", { class: "num" }, t.volume24h ?? 0), el("td", {}, spark));
      rows.push([tr, spark, p]);
    }
    body.replaceChildren(...rows.map((r) => r[0]));
    for (const [, spark, p] of rows) AvexChart.sparkline(spark, pricePoints(p).slice(-100));
  }

  function renderChart() {
    $("#chart-product").textContent = S.selected || "";
    if (S.selected) AvexChart.line($("#chart"), pricePoints(S.selected), { now: serverNow() });
  }

  function bookRow(o, side) {
    const cancel = el("button", { class: "small danger", title: "Cancel this order",
      onclick: () => cancelOrder(o) }, "Cancel");
    const cells = side === "BUY"
      ? [el("td", {}, o.teamName || "?"), el("td", { class: "muted" }, o.clOrdID || ""), el("td", { class: "num" }, o.remainingQty),
        el("td", { class: "num buy" }, money(o.price)), el("td", {}, cancel)]
      : [el("td", { class: "num sell" }, money(o.price)), el("td", { class: "num" }, o.remainingQty),
        el("td", { class: "muted" }, o.clOrdID || ""), el("td", {}, o.teamName || "?"), el("td", {}, cancel)];
    return el("tr", { title: o.message ? `message: ${o.message}` : "", dataset: { cl: o.clOrdID || "", team: o.teamName || "" } },
      ...cells);
  }

  function renderBook() {
    const book = S.books[S.selected] || { buyOrders: [], sellOrders: [] };
    $("#book-bids tbody").replaceChildren(...book.buyOrders.map((o) => bookRow(o, "BUY")));
    $("#book-asks tbody").replaceChildren(...book.sellOrders.map((o) => bookRow(o, "SELL")));
  }

  function renderTape() {
    const fills = [...S.fills.values()].sort(byTime).reverse().slice(0, TAPE_ROWS);
    $("#tape tbody").replaceChildren(...fills.map((f) => {
      const tr = el("tr", { class: f.fresh ? "flash" : "", dataset: { fill: f.fillId } },
        el("td", {}, hhmmss(f.time)), el("td", {}, f.product), el("td", { class: "num" }, f.qty),
        el("td", { class: "num" }, money(f.price)), el("td", { class: "buy" }, f.buyTeam || ""),
        el("td", { class: "msg" }, f.buyMessage || ""), el("td", { class: "sell" }, f.sellTeam || ""),
        el("td", { class: "msg" }, f.sellMessage || ""));
      f.fresh = false;
      return tr;
    }));
  }

  function renderLeaderboard() {
    const rows = S.leaderboard.map((t) => {
      const before = S.prevRanks.get(t.teamName);
      const moved = before !== undefined && before !== t.rank;
      return el("tr", { class: moved ? "flash" : "", dataset: { team: t.teamName } }, el("td", {}, t.rank),
        el("td", {}, t.teamName), el("td", { class: `num ${t.profitLoss > 0 ? "buy" : t.profitLoss < 0 ? "sell" : ""}` },
          money(t.profitLoss)), el("td", { class: "num" }, pct(t.roi)));
    });
    S.prevRanks = new Map(S.leaderboard.map((t) => [t.teamName, t.rank]));
    $("#leaderboard tbody").replaceChildren(...rows);
  }

  function renderSessions() {
    $("#sessions tbody").replaceChildren(...S.sessions.map((s) => el("tr", {}, el("td", {}, s.teamName),
      el("td", { title: s.userAgent || "" }, s.clientType), el("td", {}, s.remoteAddr),
      el("td", {}, hhmmss(Date.parse(s.lastActivity))))));
    const st = S.stats;
    $("#stats").textContent = st ? `${st.totalConnections} connections · ${st.uniqueTeams} teams · up ${st.uptime}` : "";
  }

  function inventoryText(inv) {
    return Object.entries(inv || {}).filter(([, q]) => q).map(([p, q]) => `${p} ${q}`).join(", ") || "—";
  }

  function renderTeams() {
    const names = S.teams.map((t) => t.teamName);
    $("#teams tbody").replaceChildren(...S.teams.map((t) => {
      const act = (label, fn, cls) => el("button", { class: `small ${cls || ""}`, onclick: () => fn(t) }, label);
      return el("tr", { dataset: { team: t.teamName } },
        el("td", {}, t.teamName, t.admin ? el("span", { class: "muted" }, " (admin)") : null),
        el("td", {}, t.species || "—"), el("td", { class: "inv" }, t.members || ""),
        el("td", { class: "num" }, money(t.currentBalance)), el("td", { class: "inv" }, inventoryText(t.inventory)),
        el("td", {}, t.connected ? "●" : "○"),
        el("td", {}, el("div", { class: "actions" },
          act("Edit", editTeam), act("Members", editMembers), act("Ledger", showLedger), act("Activity", askActivity),
          act("Reset balance", (x) => resetTeam(x, "BALANCE"), "danger"),
          act("Reset inventory", (x) => resetTeam(x, "INVENTORY"), "danger"),
          act("Reset production", (x) => resetTeam(x, "PRODUCTION"), "warn"))));
    }));
    const sel = document.querySelector("#create-order select[name=teamName]");
    const keep = sel.value;
    sel.replaceChildren(...names.map((n) => el("option", { value: n }, n)));
    if (names.includes(keep)) sel.value = keep;
  }

  function fillSelects() {
    const bp = $("#book-product");
    bp.replaceChildren(...S.tradable.map((p) => el("option", { value: p }, p)));
    if (S.selected) bp.value = S.selected;
    const cp = document.querySelector("#create-order select[name=product]");
    const keep = cp.value;
    cp.replaceChildren(...S.tradable.map((p) => el("option", { value: p }, p)));
    if (S.tradable.includes(keep)) cp.value = keep;
  }

  // --- actions ------------------------------------------------------------------------------------------
  async function control(action) {
    if (action !== "OPEN") {
      const text = action === "CLOSE"
        ? "Close the market? Every open order is cancelled (MARKET_CLOSED) and the scheduled end is cleared."
        : "Pause trading? New orders, offer acceptances and production are refused until the market opens again.";
      if (!(await confirmAction(`${action === "CLOSE" ? "Close" : "Pause"} the market`, text,
        action === "CLOSE" ? "Close market" : "Pause market"))) return;
    }
    send({ type: "ADMIN_TOURNAMENT_CONTROL", action });
  }

  const currentAction = () => ({ OPEN: "OPEN", PAUSED: "PAUSE", CLOSED: "OPEN" }[S.tournament.state] || "OPEN");

  async function setEnd() {
    const v = $("#t-ends").value;
    if (!v) { toast("Pick a date and time first", "err"); return; }
    const when = new Date(v);
    if (Number.isNaN(when.getTime())) { toast("Invalid date", "err"); return; }
    if (S.tournament.state === "CLOSED" &&
        !(await confirmAction("Reopen the market", "The market is closed; setting an end opens it again.", "Open and schedule"))) return;
    send({ type: "ADMIN_TOURNAMENT_CONTROL", action: currentAction(), endsAt: when.toISOString() });
  }

  async function clearEnd() {
    if (S.tournament.state === "CLOSED") { toast("The market is closed: nothing is scheduled", "err"); return; }
    send({ type: "ADMIN_TOURNAMENT_CONTROL", action: currentAction(), endsAt: "" });
  }

  async function cancelOrder(o) {
    if (!o.clOrdID || !o.teamName) return;
    const what = `${o.side} ${o.remainingQty} ${o.product} @ ${money(o.price)}`;
    if (!(await confirmAction("Cancel order", `Cancel ${o.teamName}'s order ${o.clOrdID} (${what})? The team is notified.`,
      "Cancel order"))) return;
    send({ type: "ADMIN_CANCEL_ORDER", clOrdID: o.clOrdID, teamName: o.teamName });
  }

  async function cancelAll() {
    if (!(await confirmAction("Cancel all orders", "Cancel every open order of every team?", "Cancel all"))) return;
    send({ type: "ADMIN_CANCEL_ALL_ORDERS" });
  }

  async function resetTeam(t, what) {
    const text = {
      BALANCE: `Reset ${t.teamName}'s cash to its initial balance (${money(t.initialBalance)})? Its open orders are cancelled.`,
      INVENTORY: `Reset ${t.teamName}'s inventory to its initial inventory? Its open orders are cancelled.`,
      PRODUCTION: `Clear ${t.teamName}'s production cooldown?`,
    }[what];
    if (!(await confirmAction(`Reset ${what.toLowerCase()}`, text, "Reset"))) return;
    send({ type: `RESET_TEAM_${what}`, teamName: t.teamName });
  }

  function field(label, input) { return el("label", {}, label, input); }

  async function editTeam(t) {
    const balance = el("input", { type: "number", step: "0.01", min: "0", value: t.currentBalance, name: "balance" });
    const inv = {};
    const grid = el("div", { class: "stack" });
    for (const p of S.products) {
      inv[p] = el("input", { type: "number", step: "1", min: "0", value: (t.inventory || {})[p] ?? 0, name: `inv-${p}` });
      grid.append(field(p, inv[p]));
    }
    const grantProduct = el("select", { name: "grant-product" }, ...S.products.map((p) => el("option", { value: p }, p)));
    const grantQty = el("input", { type: "number", min: "0", step: "1", value: "0", name: "grant-qty" });
    const body = el("div", { class: "stack" }, field("Cash", balance), el("h3", {}, "Inventory"), grid,
      el("h3", {}, "Or grant goods (ADD_INVENTORY)"), el("div", { class: "row" }, field("Product", grantProduct),
        field("Quantity", grantQty)));
    if (!(await modal(`Edit ${t.teamName}`, body, { ok: "Apply", danger: true, focus: balance }))) return;
    const msg = { type: "UPDATE_TEAM", teamName: t.teamName };
    if (balance.value !== "" && Number(balance.value) !== t.currentBalance) msg.balance = Number(balance.value);
    const changed = {};
    for (const p of S.products) {
      const v = inv[p].value;
      if (v !== "" && Number(v) !== ((t.inventory || {})[p] ?? 0)) changed[p] = Math.trunc(Number(v));
    }
    if (Object.keys(changed).length) msg.inventory = changed;
    if (msg.balance !== undefined || msg.inventory) send(msg);
    const q = Math.trunc(Number(grantQty.value));
    if (q > 0) send({ type: "ADD_INVENTORY", teamName: t.teamName, product: grantProduct.value, quantity: q });
    if (msg.balance === undefined && !msg.inventory && !(q > 0)) toast("Nothing changed");
  }

  async function editMembers(t) {
    const input = el("input", { value: t.members || "", name: "members", size: 50 });
    if (!(await modal(`Members of ${t.teamName}`, field("Members", input), { ok: "Save", focus: input }))) return;
    send({ type: "UPDATE_TEAM_MEMBERS", teamName: t.teamName, members: input.value });
  }

  async function showLedger(t) {
    try {
      const data = await (await api(`/api/ledger?team=${encodeURIComponent(t.teamName)}`)).json();
      const rows = data.ledger.slice(-500).reverse();
      const table = el("table", { class: "data", id: "ledger-table" },
        el("thead", {}, el("tr", {}, ...["Time", "Seq", "Asset", "Δ", "After", "Reason", "Reference"].map((h) => el("th", {}, h)))),
        el("tbody", {}, ...rows.map((g) => el("tr", {}, el("td", {}, new Date(g.timestamp).toLocaleString()), el("td", {}, g.seq),
          el("td", {}, g.asset), el("td", { class: `num ${g.delta > 0 ? "buy" : "sell"}` }, g.asset === "CASH" ? money(g.delta) : g.delta),
          el("td", { class: "num" }, g.asset === "CASH" ? money(g.balanceAfter) : g.balanceAfter), el("td", {}, g.reason),
          el("td", { class: "muted" }, g.reference)))));
      const body = el("div", {}, el("p", { class: "muted" }, `${data.count} ledger rows (newest first, at most 500 shown)`),
        el("button", { class: "small", onclick: () => download(`/api/ledger?team=${encodeURIComponent(t.teamName)}&format=csv`,
          `avex-ledger-${t.teamName}.csv`) }, "Download CSV"), table);
      await modal(`Ledger of ${t.teamName}`, body, { ok: "Close", noCancel: true });
    } catch (err) {
      toast(`Ledger failed: ${err.message}`, "err");
    }
  }

  function askActivity(t) { send({ type: "GET_TEAM_ACTIVITY", teamName: t.teamName }); }

  function showActivity(msg) {
    const table = el("table", { class: "data" },
      el("thead", {}, el("tr", {}, el("th", {}, "Time"), el("th", {}, "Action"), el("th", {}, "Details"))),
      el("tbody", {}, ...msg.activities.map((a) => el("tr", {}, el("td", {}, new Date(a.timestamp).toLocaleString()),
        el("td", {}, a.action), el("td", {}, a.details)))));
    modal(`Activity of ${msg.teamName}`, el("div", {}, el("p", { class: "muted" }, `${msg.count} newest entries`), table),
      { ok: "Close", noCancel: true });
  }

  function createOrder(ev) {
    ev.preventDefault();
    const f = new FormData(ev.target);
    const msg = { type: "ADMIN_CREATE_ORDER", teamName: f.get("teamName"), side: f.get("side"), mode: f.get("mode"),
      product: f.get("product"), qty: Math.trunc(Number(f.get("qty"))) };
    if (msg.mode === "LIMIT") msg.limitPrice = Number(f.get("limitPrice"));
    if (f.get("message")) msg.message = f.get("message");
    send(msg);
  }

  function broadcast(ev) {
    ev.preventDefault();
    const text = ev.target.message.value.trim();
    if (!text) return;
    if (send({ type: "ADMIN_BROADCAST", message: text })) ev.target.reset();
  }

  // --- wiring -------------------------------------------------------------------------------------------
  function wire() {
    $("#login-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const token = $("#token").value.trim();
      if (token) login(token);
      $("#token").value = "";
    });
    $("#logout").addEventListener("click", logout);
    for (const b of document.querySelectorAll("[data-control]")) b.addEventListener("click", () => control(b.dataset.control));
    $("#t-set-end").addEventListener("click", setEnd);
    $("#t-clear-end").addEventListener("click", clearEnd);
    $("#book-product").addEventListener("change", (ev) => {
      S.selected = ev.target.value;
      send({ type: "REQUEST_ORDER_BOOK", product: S.selected });
      dirty("book", "markets", "chart");
    });
    $("#cancel-all").addEventListener("click", cancelAll);
    $("#teams-refresh").addEventListener("click", () => send({ type: "GET_ALL_TEAMS" }));
    $("#sessions-refresh").addEventListener("click", () => send({ type: "REQUEST_CONNECTED_SESSIONS" }));
    $("#create-order").addEventListener("submit", createOrder);
    $("#broadcast").addEventListener("submit", broadcast);
    for (const b of document.querySelectorAll("[data-export]")) {
      b.addEventListener("click", () => download(`/api/${b.dataset.export}?format=csv`, `avex-${b.dataset.export}.csv`));
    }
    for (const b of document.querySelectorAll("[data-export-json]")) {
      b.addEventListener("click", () => download(`/admin/api/export?dataType=${b.dataset.exportJson}`, "avex-export.json"));
    }
    window.addEventListener("resize", () => dirty("chart"));
    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved) login(saved);
  }

  wire();
})();
