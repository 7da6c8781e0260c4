// Draws the page from client.state. Each panel is idempotent: rows are keyed and updated in place (so
// focus, typed values and CSS flashes survive), numbers flash when the value they show changes.
import { CHART_VIEWBOX, chartSvg } from "./chart.js";
import { DASH, clock, countdown, money, qty, signedMoney } from "./format.js";
import { utf8Bytes } from "./validate.js";

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) node.append(c);
  return node;
}

function show(node, visible) {
  node.hidden = !visible;
}

function text(node, value) {
  const v = String(value ?? "");
  if (node.textContent !== v) node.textContent = v;
}

function message(node, value) {
  text(node, value ?? "");
  show(node, Boolean(value));
}

// Sets a cell's text; when the underlying value changes (not on first draw) the cell flashes up/down.
function setNum(cell, value, shown) {
  const v = value === null || value === undefined ? "" : String(value);
  const old = cell.dataset.v;
  if (old === v) return;
  cell.textContent = shown;
  cell.dataset.v = v;
  if (old === undefined) return;
  cell.classList.remove("flash-up", "flash-down", "flash");
  void cell.offsetWidth; // restart the animation
  if (old !== "" && v !== "") cell.classList.add(Number(v) > Number(old) ? "flash-up" : "flash-down");
  else cell.classList.add("flash");
}

// Keyed reconciliation of a container's children.
function syncList(parent, items, keyOf, create, update) {
  const keys = new Set(items.map((item) => String(keyOf(item))));
  const existing = new Map();
  for (const child of [...parent.children]) {
    // Gone (or a duplicate key): removed first, so the nodes that stay are not moved around.
    if (!keys.has(child.dataset.key) || existing.has(child.dataset.key)) child.remove();
    else existing.set(child.dataset.key, child);
  }
  let prev = null;
  for (const item of items) {
    const key = String(keyOf(item));
    let node = existing.get(key);
    if (node) existing.delete(key);
    else {
      node = create(item);
      node.dataset.key = key;
    }
    update(node, item);
    const want = prev ? prev.nextSibling : parent.firstChild;
    if (node !== want) parent.insertBefore(node, want);
    prev = node;
  }
  for (const node of existing.values()) node.remove();
}

const sideTag = (side) => el("span", { class: `side ${side === "BUY" ? "buy" : "sell"}`, text: side ?? DASH });

export class View {
  constructor(client) {
    this.client = client;
  }

  get s() {
    return this.client.state;
  }

  render(panels) {
    const all = panels.has("all");
    const want = (p) => all || panels.has(p);
    this.#views();
    if (want("conn") || want("clock") || want("tournament") || want("login")) this.#header();
    if (this.s.view !== "app") {
      if (want("login") || all) this.#login();
      return;
    }
    if (want("banners") || want("tournament")) this.#banners();
    if (want("account")) this.#account();
    if (want("inventory")) this.#inventory();
    if (want("market")) this.#market();
    if (want("chart")) this.#chart();
    if (want("book")) this.#book();
    if (want("ticket")) this.#ticket();
    if (want("orders")) this.#orders();
    if (want("fills")) this.#fills();
    if (want("offers") || want("clock")) this.#offers();
    if (want("production") || want("inventory") || want("clock")) this.#production();
  }

  #views() {
    const app = this.s.view === "app";
    show($("login-view"), !app);
    show($("app-view"), app);
    show($("who"), app);
    show($("logout"), app);
  }

  #login() {
    const s = this.s;
    message($("login-error"), s.login.error);
    const b = $("login-button");
    b.disabled = s.login.busy;
    text(b, s.login.busy ? "Logging in…" : "Log in");
  }

  #header() {
    const s = this.s;
    text($("team-name"), s.team ?? "");
    text($("team-species"), s.species && s.species !== s.team ? `· ${s.species}` : "");
    const c = s.conn;
    const conn = $("conn");
    let label = "Offline";
    if (c.state === "online") label = "● Online";
    else if (c.state === "connecting") label = c.attempt ? `Reconnecting… (attempt ${c.attempt})` : "Connecting…";
    else if (c.state === "reconnecting") {
      const left = Math.max(0, Math.ceil((c.retryAt - Date.now()) / 1000));
      label = `Disconnected — retrying in ${left} s`;
    }
    text(conn, label);
    conn.className = `pill conn-${c.state}`;
    conn.dataset.state = c.state;
    message($("conn-notice"), c.state === "online" ? null : c.notice || null);
    const t = s.tournament;
    const ts = $("tstate");
    show(ts, s.view === "app");
    text(ts, t.state === "OPEN" ? "Market open" : t.state === "PAUSED" ? "Market paused" : "Market closed");
    ts.className = `pill state-${(t.state ?? "").toLowerCase()}`;
    const ends = $("ends");
    const endsAt = t.endsAt ? Date.parse(t.endsAt) : NaN;
    show(ends, s.view === "app" && !Number.isNaN(endsAt) && t.state !== "CLOSED");
    if (!Number.isNaN(endsAt)) text(ends, `Ends in ${countdown(endsAt - this.client.serverNow())}`);
  }

  #banners() {
    const s = this.s;
    const t = s.tournament.state;
    const banner = $("market-banner");
    show(banner, t !== "OPEN");
    banner.className = `banner banner-state state-${(t ?? "").toLowerCase()}`;
    text(banner, t === "PAUSED"
      ? "The market is PAUSED by the referee: orders, offer acceptances and production are refused until it reopens. You can still cancel."
      : "The market is CLOSED: trading has ended. Open orders were cancelled.");
    syncList($("broadcasts"), s.broadcasts, (b) => b.key,
      () => el("li", { class: "banner broadcast" },
        el("span", {}, el("strong", { class: "b-from" }), el("span", { class: "b-text" })),
        el("button", { type: "button", class: "ghost small", "data-action": "dismiss-broadcast", "aria-label": "Dismiss message", text: "✕" })),
      (node, b) => {
        node.querySelector(".b-from").textContent = b.sender === "system" ? "Market" : `Referee (${b.sender})`;
        text(node.querySelector(".b-text"), ` at ${clock(b.at)}: ${b.message}`);
        node.querySelector("button").dataset.id = b.key;
      });
    syncList($("notices"), s.notices, (n) => n.key,
      () => el("li", { class: "banner notice-item" },
        el("span", { class: "n-text" }),
        el("button", { type: "button", class: "ghost small", "data-action": "dismiss-notice", "aria-label": "Dismiss", text: "✕" })),
      (node, n) => {
        text(node.querySelector(".n-text"), n.text);
        node.querySelector("button").dataset.id = n.key;
      });
  }

  #account() {
    const s = this.s;
    setNum($("cash-total"), s.cash.balance, money(s.cash.balance));
    setNum($("cash-available"), s.cash.available, money(s.cash.available));
    setNum($("cash-reserved"), s.cash.reserved, money(s.cash.reserved));
    const p = s.perf;
    const pnl = $("pnl");
    setNum(pnl, p?.profitLoss, p ? signedMoney(p.profitLoss) : DASH);
    pnl.classList.toggle("pos", Boolean(p && p.profitLoss > 0));
    pnl.classList.toggle("neg", Boolean(p && p.profitLoss < 0));
    setNum($("roi"), p?.roi, p ? `${signedMoney(p.roi)} %` : DASH);
    text($("rank"), p?.rank ? `${p.rank} of ${p.totalTeams}` : DASH);
    text($("value-line"), p
      ? `Value ${money(p.finalBalance)} = cash ${money(p.cash)} + goods ${money(p.inventoryValue)} at mark prices; start ${money(p.startBalance)}.`
      : "");
  }

  #inventory() {
    const s = this.s;
    const rows = s.catalogue.map((code) => ({
      code, total: s.goods.inventory[code] ?? 0, available: s.goods.available[code] ?? 0,
    }));
    syncList($("inventory-table").tBodies[0], rows, (r) => r.code,
      (r) => el("tr", {},
        el("th", { scope: "row" }, el("button", { type: "button", class: "linklike", "data-action": "select", "data-product": r.code, text: r.code })),
        el("td", { class: "num total" }), el("td", { class: "num avail" }), el("td", { class: "num resv" })),
      (tr, r) => {
        tr.classList.toggle("zero", r.total === 0);
        setNum(tr.querySelector(".total"), r.total, qty(r.total));
        setNum(tr.querySelector(".avail"), r.available, qty(r.available));
        setNum(tr.querySelector(".resv"), r.total - r.available, qty(r.total - r.available));
      });
  }

  #market() {
    const s = this.s;
    // Every tradable product; one the server called "not tradable" has no market.
    const tradable = s.catalogue.filter((code) => s.tradable[code] !== false);
    syncList($("market-table").tBodies[0], tradable, (code) => code,
      (code) => el("tr", {},
        el("th", { scope: "row" }, el("button", { type: "button", class: "linklike", "data-action": "select", "data-product": code, text: code })),
        el("td", { class: "num bid" }), el("td", { class: "num ask" }), el("td", { class: "num mid" }),
        el("td", { class: "num last" }), el("td", { class: "num vol" })),
      (tr, code) => {
        const t = s.tickers[code] ?? {};
        const selected = code === s.selected;
        tr.classList.toggle("selected", selected);
        tr.querySelector("button").setAttribute("aria-pressed", String(selected));
        setNum(tr.querySelector(".bid"), t.bestBid, money(t.bestBid));
        setNum(tr.querySelector(".ask"), t.bestAsk, money(t.bestAsk));
        setNum(tr.querySelector(".mid"), t.mid, money(t.mid));
        setNum(tr.querySelector(".last"), t.lastPrice, money(t.lastPrice));
        setNum(tr.querySelector(".vol"), t.volume24h, qty(t.volume24h));
      });
  }

  #chart() {
    const s = this.s;
    const svg = $("chart");
    if (svg.getAttribute("viewBox") !== CHART_VIEWBOX) svg.setAttribute("viewBox", CHART_VIEWBOX);
    text($("chart-h"), `Price — ${s.selected ?? ""}`);
    svg.innerHTML = chartSvg(s.history[s.selected], s.selected ?? "");
  }

  #book() {
    const s = this.s;
    const p = s.selected;
    text($("book-h"), `Order book — ${p ?? ""}`);
    const book = s.books[p] ?? { buyOrders: [], sellOrders: [] };
    const levels = (orders) => {
      const out = [];
      for (const o of orders) {
        const last = out[out.length - 1];
        const own = o.teamName === s.team;
        if (last && last.price === o.price) {
          last.qty += o.remainingQty;
          last.count += 1;
          last.own ||= own;
        } else out.push({ price: o.price, qty: o.remainingQty, count: 1, own });
      }
      return out.slice(0, 10);
    };
    const bids = levels(book.buyOrders);
    const asks = levels(book.sellOrders);
    const maxQty = Math.max(1, ...bids.map((l) => l.qty), ...asks.map((l) => l.qty));
    const draw = (tbody, rows, side) => {
      syncList(tbody, rows.length ? rows : [{ empty: true }], (l) => (l.empty ? "empty" : `${l.price}`),
        (l) => (l.empty
          ? el("tr", { class: "empty-row" }, el("td", { colspan: 3, class: "muted", text: side === "bid" ? "no bids" : "no asks" }))
          : el("tr", {}, ...(side === "bid"
            ? [el("td", { class: "num orders" }), el("td", { class: "num qty" }), el("td", { class: "num price" })]
            : [el("td", { class: "num price" }), el("td", { class: "num qty" }), el("td", { class: "num orders" })]))),
        (tr, l) => {
          if (l.empty) return;
          const pc = tr.querySelector(".price");
          pc.replaceChildren(el("button", {
            type: "button", class: `linklike ${side}`, "data-action": "book-price", "data-side": side === "bid" ? "SELL" : "BUY",
            "data-price": String(l.price), "aria-label": `${side} ${money(l.price)}: copy into the ticket`,
            text: `${l.own ? "★ " : ""}${money(l.price)}`,
          }));
          setNum(tr.querySelector(".qty"), l.qty, qty(l.qty));
          text(tr.querySelector(".orders"), l.count);
          const pct = Math.round((l.qty / maxQty) * 100);
          tr.style.setProperty("--depth", `${pct}%`);
          tr.className = `level ${side}${l.own ? " own" : ""}`;
        });
    };
    draw($("book-bids").tBodies[0], bids, "bid");
    draw($("book-asks").tBodies[0], asks, "ask");
  }

  #ticket() {
    const s = this.s;
    const t = s.ticket;
    const form = $("ticket");
    const setValue = (input, value) => {
      if (document.activeElement !== input && input.value !== value) input.value = value;
    };
    $("t-side-buy").checked = t.side === "BUY";
    $("t-side-sell").checked = t.side === "SELL";
    $("t-mode-limit").checked = t.mode === "LIMIT";
    $("t-mode-market").checked = t.mode === "MARKET";
    const sel = $("t-product");
    syncList(sel, s.catalogue, (c) => c, (c) => el("option", { value: c, text: c }),
      (o, c) => { o.disabled = s.tradable[c] === false; });
    if (sel.value !== t.product) sel.value = t.product;
    setValue($("t-qty"), t.qty);
    const price = $("t-price");
    setValue(price, t.price);
    price.disabled = t.mode === "MARKET";
    price.placeholder = t.mode === "MARKET" ? "best available" : "0.00";
    const exp = $("t-expiry");
    if (exp.value !== t.expiry) exp.value = t.expiry;
    show($("t-expiry-at-wrap"), t.expiry === "at");
    setValue($("t-expiry-at"), t.expiryAt);
    setValue($("t-message"), t.message);
    const bytes = utf8Bytes(t.message);
    const counter = $("t-message-count");
    text(counter, `${bytes}/200 bytes`);
    counter.classList.toggle("over", bytes > 200);
    form.dataset.side = t.side;
    const submit = $("t-submit");
    text(submit, `${t.side === "BUY" ? "Buy" : "Sell"} ${t.product}`);
    submit.className = `primary ${t.side === "BUY" ? "buy" : "sell"}`;
    text($("t-summary"), this.#summary());
    for (const id of ["t-qty", "t-price", "t-message", "t-expiry", "t-product"]) $(id).removeAttribute("aria-invalid");
    const field = t.error?.field;
    const fieldId = { qty: "t-qty", price: "t-price", message: "t-message", expiresAt: "t-expiry", product: "t-product" }[field];
    if (fieldId) $(fieldId).setAttribute("aria-invalid", "true");
    message($("ticket-error"), t.error ? `${t.error.reason}${t.error.code ? ` (${t.error.code})` : ""}` : null);
    message($("ticket-info"), t.error ? null : t.info);
  }

  #summary() {
    const s = this.s;
    const t = s.ticket;
    const q = Number(t.qty);
    const tk = s.tickers[t.product] ?? {};
    const parts = [];
    if (t.side === "BUY") {
      if (t.mode === "LIMIT" && q > 0 && Number(t.price) > 0) {
        const need = q * Number(t.price);
        parts.push(`Reserves ${money(need)} of ${money(s.cash.available)} available cash.`);
        if (need > (s.cash.available ?? 0)) parts.push("Not enough cash: the server will reject it.");
      } else if (t.mode === "MARKET") {
        parts.push(`Buys from the best asks (now ${money(tk.bestAsk)}); an unfilled rest is cancelled.`);
      } else parts.push(`Available cash ${money(s.cash.available)}.`);
    } else {
      const avail = s.goods.available[t.product] ?? 0;
      parts.push(`You have ${qty(avail)} ${t.product} available.`);
      if (q > avail) parts.push("Not enough to sell: the server will reject it.");
      if (t.mode === "MARKET") parts.push(`Sells to the best bids (now ${money(tk.bestBid)}).`);
    }
    return parts.join(" ");
  }

  #orders() {
    const s = this.s;
    const p = s.ordersPanel;
    const all = [...s.orders.values()];
    const open = all.filter((o) => o.status === "SENT" || o.status === "PENDING" || o.status === "PARTIALLY_FILLED")
      .sort((a, b) => b.updatedAt - a.updatedAt || b.seq - a.seq);
    const done = all.filter((o) => !open.includes(o)).sort((a, b) => b.updatedAt - a.updatedAt || b.seq - a.seq).slice(0, 300);
    text($("open-count"), open.filter((o) => o.status !== "SENT").length || "");
    text($("history-count"), done.length || "");
    for (const tab of ["open", "history"]) {
      const b = $(`tab-${tab}`);
      b.setAttribute("aria-selected", String(p.tab === tab));
      b.tabIndex = p.tab === tab ? 0 : -1;
    }
    show($("open-orders-wrap"), p.tab === "open");
    show($("history-wrap"), p.tab === "history");
    message($("orders-error"), p.error);
    message($("orders-info"), p.error ? null : p.info);
    syncList($("open-orders").tBodies[0], open, (o) => o.clOrdID,
      () => el("tr", {},
        el("td", { class: "id" }), el("td", { class: "side-c" }), el("td", { class: "prod" }), el("td", { class: "num price" }),
        el("td", { class: "num q" }), el("td", { class: "num filled" }), el("td", { class: "num rem" }), el("td", { class: "status" }),
        el("td", {}, el("button", { type: "button", class: "small danger", "data-action": "cancel", text: "Cancel" }))),
      (tr, o) => {
        text(tr.querySelector(".id"), o.clOrdID);
        tr.querySelector(".side-c").replaceChildren(sideTag(o.side));
        text(tr.querySelector(".prod"), o.product ?? DASH);
        text(tr.querySelector(".price"), o.mode === "MARKET" ? "market" : money(o.price));
        text(tr.querySelector(".q"), qty(o.quantity));
        setNum(tr.querySelector(".filled"), o.filledQty, qty(o.filledQty));
        setNum(tr.querySelector(".rem"), o.remainingQty, qty(o.remainingQty));
        text(tr.querySelector(".status"), o.status === "SENT" ? "sending…" : o.status);
        const b = tr.querySelector("button");
        b.dataset.id = o.clOrdID;
        b.disabled = o.status === "SENT";
        b.setAttribute("aria-label", `Cancel order ${o.clOrdID}`);
      });
    show($("open-empty"), open.length === 0);
    syncList($("order-history").tBodies[0], done, (o) => o.clOrdID,
      () => el("tr", {},
        el("td", { class: "time" }), el("td", { class: "id" }), el("td", { class: "side-c" }), el("td", { class: "prod" }),
        el("td", { class: "num price" }), el("td", { class: "num q" }), el("td", { class: "num filled" }), el("td", { class: "num avg" }),
        el("td", { class: "status" })),
      (tr, o) => {
        text(tr.querySelector(".time"), clock(o.updatedAt));
        text(tr.querySelector(".id"), o.clOrdID);
        tr.querySelector(".side-c").replaceChildren(sideTag(o.side));
        text(tr.querySelector(".prod"), o.product ?? DASH);
        text(tr.querySelector(".price"), o.mode === "MARKET" ? "market" : money(o.price));
        text(tr.querySelector(".q"), qty(o.quantity));
        text(tr.querySelector(".filled"), qty(o.filledQty));
        text(tr.querySelector(".avg"), o.filledQty > 0 && o.fillValue > 0 ? money(o.fillValue / o.filledQty) : DASH);
        let outcome = o.status;
        if (o.status === "CANCELLED" && o.reason) outcome = `CANCELLED (${o.reason})`;
        if (o.status === "REJECTED") outcome = `REJECTED: ${o.reason ?? ""}${o.code ? ` (${o.code})` : ""}`;
        if (o.status === "CLOSED") outcome = "CLOSED (ended while away)";
        text(tr.querySelector(".status"), outcome);
        tr.className = `st-${o.status.toLowerCase()}`;
      });
    show($("history-empty"), done.length === 0);
  }

  #fills() {
    const s = this.s;
    syncList($("fills-table").tBodies[0], s.fills.slice(0, 300), (f) => `${f.fillId}|${f.clOrdID}`,
      (f) => el("tr", { class: f.fresh ? "new" : "" },
        el("td", { class: "time", text: clock(f.time) }), el("td", {}, sideTag(f.side)), el("td", { text: f.product }),
        el("td", { class: "num", text: qty(f.qty) }), el("td", { class: "num", text: money(f.price) }),
        el("td", { class: "cp", text: f.counterparty }), el("td", { class: "msg", text: f.counterpartyMessage || "" })),
      (tr, f) => {
        tr.title = `${f.fillId} · order ${f.clOrdID} · value ${money(f.qty * f.price)}`;
      });
    show($("fills-empty"), s.fills.length === 0);
  }

  #offers() {
    const s = this.s;
    const now = this.client.serverNow();
    const offers = [...s.offers.values()].filter((o) => !o.dismissed && o.expiresAt > now - 60_000)
      .sort((a, b) => a.expiresAt - b.expiresAt);
    const live = offers.filter((o) => o.expiresAt > now);
    text($("offers-count"), live.length || "");
    message($("offers-error"), s.offersPanel.error);
    syncList($("offers"), offers, (o) => o.offerId, (o) => {
      const id = o.offerId.replace(/[^A-Za-z0-9_-]/g, "_");
      return el("li", { class: "offer" },
        el("div", { class: "offer-head" },
          el("strong", { class: "offer-what" }),
          el("span", { class: "offer-timer", role: "timer" })),
        el("div", { class: "offer-form" },
          el("div", { class: "field" }, el("label", { for: `q-${id}`, text: "Quantity" }),
            el("input", { id: `q-${id}`, type: "text", inputmode: "numeric", "data-offer": o.offerId, "data-field": "qty", autocomplete: "off" })),
          el("div", { class: "field" }, el("label", { for: `p-${id}`, text: "Price" }),
            el("input", { id: `p-${id}`, type: "text", inputmode: "decimal", "data-offer": o.offerId, "data-field": "price", autocomplete: "off" })),
          el("button", { type: "button", class: "small primary sell", "data-action": "accept-offer", "data-offer": o.offerId, text: "Accept" }),
          el("button", { type: "button", class: "small ghost", "data-action": "decline-offer", "data-offer": o.offerId, text: "Decline" })),
        el("p", { class: "error small offer-error", role: "alert" }),
        el("p", { class: "ok small offer-note", role: "status" }));
    }, (li, o) => {
      const expired = o.expiresAt <= now;
      // The buy order rests at maxPrice: a fresh best bid below it (or none) means the order has left the book.
      const tk = s.tickers[o.product];
      const gone = !expired && Boolean(tk && tk.at > o.received + 300 && (tk.bestBid === null || tk.bestBid < o.maxPrice));
      const have = s.goods.available[o.product] ?? 0;
      text(li.querySelector(".offer-what"),
        `${o.buyer} wants ${qty(o.quantityRequested)} ${o.product} at up to ${money(o.maxPrice)} (you have ${qty(have)} available)`);
      text(li.querySelector(".offer-timer"), expired ? "expired" : gone ? "order gone" : `expires in ${countdown(o.expiresAt - now)}`);
      li.classList.toggle("expired", expired || gone);
      li.title = gone ? "The buyer's order is no longer in the book: accepting would fail." : "";
      const [qIn, pIn] = li.querySelectorAll("input");
      if (document.activeElement !== qIn && qIn.value !== o.qty) qIn.value = o.qty;
      if (document.activeElement !== pIn && pIn.value !== o.price) pIn.value = o.price;
      for (const b of li.querySelectorAll("button")) b.disabled = (expired || gone) && b.dataset.action === "accept-offer";
      message(li.querySelector(".offer-error"), o.error);
      message(li.querySelector(".offer-note"), o.note);
    });
    show($("offers-empty"), offers.length === 0);
  }

  #production() {
    const s = this.s;
    const pr = s.production;
    const r = s.role;
    text($("role-line"), r
      ? `Role: ${r.branches} branches, depth ${r.maxDepth}, decay ${r.decay}, energy ${r.baseEnergy} + ${r.levelEnergy}/level, budget ${r.budget}.`
      : "");
    const left = pr.cooldownUntil - Date.now();
    const cooling = left > 0;
    const cd = $("cooldown");
    text(cd, pr.pending ? "Producing…" : cooling ? `Cooldown: ready in ${Math.ceil(left / 1000)} s` : "Ready to produce");
    cd.className = `cooldown ${cooling ? "busy" : "ready"}`;
    syncList($("production-list"), s.authorizedProducts, (p) => p, (p) => {
      const id = `prod-${p.replace(/[^A-Za-z0-9_-]/g, "_")}`;
      return el("li", { class: "prod-item" },
        el("div", { class: "prod-head" }, el("strong", { class: "prod" }), el("span", { class: "max muted small" })),
        el("div", { class: "recipe small muted" }),
        el("div", { class: "batch" },
          el("label", { for: id, class: "sr-only", text: `Quantity of ${p} to produce` }),
          el("input", { id, type: "text", inputmode: "numeric", "data-product": p, class: "prod-qty", autocomplete: "off" }),
          el("button", { type: "button", class: "small primary", "data-action": "produce", "data-product": p, text: "Produce" })));
    }, (li, p) => {
      const recipe = s.recipes[p] ?? { type: "BASIC", ingredients: {} };
      const max = this.client.maxFor(p);
      text(li.querySelector(".prod"), p);
      text(li.querySelector(".max"), `${recipe.type === "PREMIUM" ? "premium" : "basic"} · max ${max === undefined ? DASH : qty(max)} per batch`);
      const ing = Object.entries(recipe.ingredients ?? {});
      text(li.querySelector(".recipe"), ing.length === 0
        ? "Made from nothing."
        : `Uses ${ing.map(([k, n]) => `${n} ${k}`).join(" + ")} per unit (available: ${ing.map(([k]) => `${qty(s.goods.available[k] ?? 0)} ${k}`).join(", ")}).`);
      const input = li.querySelector("input");
      const v = pr.quantities[p] ?? "";
      if (document.activeElement !== input && input.value !== v) input.value = v;
      const b = li.querySelector("button");
      b.disabled = cooling || Boolean(pr.pending);
      b.setAttribute("aria-label", `Produce ${p}`);
    });
    if (s.authorizedProducts.length === 0) text($("role-line"), "Your team is not authorized to produce anything: trade instead.");
    message($("production-error"), pr.error);
    message($("production-note"), pr.error ? null : pr.note);
  }
}
