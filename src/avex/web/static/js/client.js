// The trader's state (one object) and everything that changes it: wire messages in, user actions out.
// Rendering lives in render.js and only reads `client.state`; `onChange(panels)` tells it what to redraw.
import { Link, socketUrl } from "./link.js";
import { centsToNumber, toCents } from "./num.js";
import { maxBatch } from "./production.js";
import { validateAcceptOffer, validateOrder, validateProduction } from "./validate.js";

const TOKEN_KEY = "avex.token";
const ADMIN_TOKEN_KEY = "avex.admin.token"; // the admin page (static/admin/admin.js) logs in with it
const OPEN = new Set(["PENDING", "PARTIALLY_FILLED"]);
const TERMINAL = new Set(["FILLED", "CANCELLED", "REJECTED", "CLOSED"]);
const RANK = { SENT: 0, PENDING: 1, PARTIALLY_FILLED: 2, CLOSED: 3, FILLED: 4, CANCELLED: 4, REJECTED: 4 };
const TEAM_EVENTS = new Set(["ORDER_ACK", "FILL", "BALANCE_UPDATE", "INVENTORY_UPDATE", "OFFER"]);
const DEFAULT_COOLDOWN_S = 15;
const REPORT_EVERY_MS = 15_000;
const MAX_FILLS = 1000;
const MAX_POINTS = 600;
const MAX_SEEN = 20_000;

function stable(value) {
  if (Array.isArray(value)) return `[${value.map(stable).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().filter((k) => k !== "serverTime" && k !== "timestamp")
      .map((k) => `${JSON.stringify(k)}:${stable(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const timeOf = (msg) => {
  const t = Date.parse(msg.serverTime ?? msg.timestamp ?? msg.time ?? "");
  return Number.isNaN(t) ? null : t;
};

// TICKER's mid: the mean of best bid and best ask, half-even to the cent (PROTOCOL §5.6).
function midPrice(bid, ask) {
  if (bid === null || ask === null) return null;
  const sum = toCents(String(bid)) + toCents(String(ask));
  const half = sum / 2n + (sum % 2n !== 0n && (sum / 2n) % 2n !== 0n ? 1n : 0n);
  return centsToNumber(half);
}

export function freshState() {
  return {
    view: "login", // "login" | "app"
    login: { error: null, busy: false },
    conn: { state: "offline", attempt: 0, retryAt: 0, code: 0, reason: "", notice: "" },
    team: null,
    species: "",
    initialBalance: null,
    role: null,
    recipes: {},
    authorizedProducts: [],
    tournament: { state: "OPEN", endsAt: null },
    catalogue: [],
    tradable: {},
    selected: null,
    tickers: {},
    books: {},
    history: {}, // product -> {trades: [{t, price, own, side}], quotes: [{t, bid, ask}]}
    cash: { balance: null, available: null, reserved: null, seq: -1 },
    goods: { inventory: {}, available: {}, seq: -1 },
    perf: null,
    orders: new Map(),
    fills: [],
    offers: new Map(),
    production: { pending: null, cooldownUntil: 0, note: null, error: null, quantities: {} },
    ticket: {
      side: "BUY", mode: "LIMIT", product: "", qty: "", price: "", expiry: "", expiryAt: "", message: "",
      error: null, info: null,
    },
    ordersPanel: { tab: "open", error: null, info: null },
    offersPanel: { error: null, info: null },
    broadcasts: [],
    notices: [],
    lastSeq: 0,
    clockOffset: 0,
  };
}

export class Client {
  constructor(onChange) {
    this.onChange = onChange;
    this.state = freshState();
    this.token = null;
    this.loggedIn = false; // the current socket has a LOGIN_OK
    this.everLoggedIn = false; // this page has a session for state.team
    this.link = new Link(socketUrl(), {
      open: () => this.#onOpen(),
      message: (m) => this.#onMessage(m),
      status: (s) => this.#onStatus(s),
    });
    this.seen = new Set();
    this.seenOrder = [];
    this.resyncQueue = []; // kinds of RESYNCs in flight, replies come back in order
    this.resyncing = false; // a lastSeq catch-up is running: lastSeq must not move ahead of it
    this.liveHigh = 0; // highest seq received live while catching up
    this.bookRequests = {}; // product -> {inFlight, again, at}
    this.ordersTimer = null;
    this.reportTimer = null;
    this.reportEvery = null;
    this.lastAction = null; // "order" | "offer" | "production" — routes ERRORs without clOrdID
    this.pendingOffer = null;
    this.cancelling = new Set();
    this.clPrefix = `W${Math.random().toString(36).slice(2, 6)}`;
    this.clCounter = 0;
  }

  // ---- lifecycle -------------------------------------------------------------------------------------

  boot() {
    let token = null;
    try {
      token = localStorage.getItem(TOKEN_KEY);
    } catch {
      token = null;
    }
    if (token) this.login(token);
    else this.#changed("all");
  }

  login(token) {
    token = String(token ?? "").trim();
    const s = this.state;
    if (!token) {
      s.login.error = "Token is required (AUTH_FAILED)";
      this.#changed("login");
      return;
    }
    this.token = token;
    s.login = { error: null, busy: true };
    this.#changed("login");
    if (this.link.isOpen) this.link.send({ type: "LOGIN", token, tz: this.#tz() });
    else this.link.start();
  }

  logout() {
    try {
      localStorage.removeItem(TOKEN_KEY);
    } catch {
      // storage may be disabled; nothing to forget then
    }
    this.token = null;
    this.link.stop();
    this.#endSession();
    this.state = freshState();
    this.#changed("all");
  }

  #endSession() {
    this.loggedIn = false;
    this.everLoggedIn = false;
    clearInterval(this.reportEvery);
    clearTimeout(this.reportTimer);
    clearTimeout(this.ordersTimer);
    this.seen.clear();
    this.seenOrder = [];
    this.resyncQueue = [];
    this.resyncing = false;
    this.bookRequests = {};
  }

  #tz() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch {
      return undefined;
    }
  }

  #send(obj) {
    return this.link.send(obj);
  }

  #changed(...panels) {
    this.onChange(panels);
  }

  serverNow() {
    return Date.now() + this.state.clockOffset;
  }

  #onOpen() {
    if (this.token) this.#send({ type: "LOGIN", token: this.token, tz: this.#tz() });
  }

  #onStatus(info) {
    const c = this.state.conn;
    if (info.state !== "online") {
      // Whatever was in flight on the old socket will never be answered.
      this.loggedIn = false;
      this.resyncQueue = [];
      this.bookRequests = {};
      clearTimeout(this.reportTimer);
    }
    c.state = info.state;
    c.attempt = info.attempt ?? 0;
    c.retryAt = info.retryAt ?? 0;
    if (info.code !== undefined) c.code = info.code;
    if (info.reason !== undefined) c.reason = info.reason;
    this.#changed("conn");
  }

  // ---- incoming ------------------------------------------------------------------------------------

  #onMessage(msg) {
    const t = timeOf(msg);
    if (t !== null && msg.type !== "EVENT_DELTA") this.state.clockOffset = t - Date.now();
    switch (msg.type) {
      case "LOGIN_OK":
        return this.#loginOk(msg);
      case "ERROR":
        return this.#error(msg);
      case "EVENT_DELTA":
        return this.#eventDelta(msg);
      case "PONG":
      case "ECHO":
        return undefined;
      default:
        if (!this.loggedIn) return undefined;
        this.#trackSeq(msg);
        return this.#apply(msg, false);
    }
  }

  #trackSeq(msg) {
    if (typeof msg.seq !== "number" || msg.type === "TICKER") return;
    if (this.resyncing) this.liveHigh = Math.max(this.liveHigh, msg.seq);
    else this.state.lastSeq = Math.max(this.state.lastSeq, msg.seq);
  }

  #loginOk(msg) {
    const s = this.state;
    if (msg.admin === true || msg.team === "admin") {
      // The referee has a page of its own.
      try {
        sessionStorage.setItem(ADMIN_TOKEN_KEY, this.token);
        localStorage.removeItem(TOKEN_KEY);
      } catch {
        // ignore storage errors: the admin page will ask for the token
      }
      this.link.stop();
      window.location.assign("/admin");
      return;
    }
    const sameTeam = this.everLoggedIn && s.team === msg.team;
    if (!sameTeam) {
      const keepConn = s.conn;
      this.#endSession();
      this.state = freshState();
      this.state.conn = keepConn;
    }
    const st = this.state;
    try {
      localStorage.setItem(TOKEN_KEY, this.token);
    } catch {
      // not remembered: the student logs in again next time
    }
    this.loggedIn = true;
    this.link.resetBackoff();
    st.view = "app";
    st.login = { error: null, busy: false };
    st.conn.state = "online";
    st.conn.notice = "";
    st.team = msg.team;
    st.species = msg.species ?? "";
    st.initialBalance = msg.initialBalance;
    st.role = msg.role ?? null;
    st.recipes = msg.recipes ?? {};
    st.authorizedProducts = msg.authorizedProducts ?? [];
    st.tournament = { state: msg.tournamentState ?? "OPEN", endsAt: msg.endsAt ?? null };
    st.catalogue = Object.keys(msg.inventory ?? {});
    if (!st.selected || !st.catalogue.includes(st.selected)) st.selected = st.catalogue[0] ?? null;
    if (!st.ticket.product) st.ticket.product = st.selected ?? "";
    if (!sameTeam) {
      // LOGIN_OK carries totals only; GET_INVENTORY below brings the available and reserved amounts.
      st.goods.inventory = { ...msg.inventory };
      st.goods.available = { ...msg.inventory };
      st.cash.balance = msg.currentBalance;
    }
    for (const [product, recipe] of Object.entries(st.recipes)) {
      if (st.production.quantities[product] === undefined && st.role) {
        st.production.quantities[product] = String(maxBatch(st.role, recipe));
      }
    }

    if (sameTeam) {
      // Reconnected: catch up on every team message after the highest seq seen, then re-read snapshots.
      this.resyncing = true;
      this.liveHigh = msg.seq ?? 0;
      this.#resync({ type: "RESYNC", lastSeq: st.lastSeq }, "seq");
    } else {
      this.everLoggedIn = true;
      st.lastSeq = msg.seq ?? 0;
      this.#restoreOffers();
      // A fresh page: the team's fills of the last 24 h for the fills table, the history and the chart.
      this.#resync({ type: "RESYNC" }, "sync");
    }
    this.#send({ type: "GET_INVENTORY" });
    this.#send({ type: "REQUEST_ALL_ORDERS" });
    for (const product of st.catalogue) this.requestBook(product, true);
    this.#send({ type: "REQUEST_PERFORMANCE_REPORT" });
    clearInterval(this.reportEvery);
    this.reportEvery = setInterval(() => {
      if (this.loggedIn) this.#send({ type: "REQUEST_PERFORMANCE_REPORT" });
    }, REPORT_EVERY_MS);
    this.#changed("all");
  }

  #resync(frame, kind) {
    if (this.#send(frame)) this.resyncQueue.push(kind);
  }

  #eventDelta(msg) {
    const kind = this.resyncQueue.shift() ?? "seq";
    const events = Array.isArray(msg.events) ? msg.events : [];
    for (const ev of events) this.#apply(ev, true);
    if (kind !== "seq") return;
    const last = events.length ? events[events.length - 1].seq : msg.seq;
    if (typeof last === "number") this.state.lastSeq = Math.max(this.state.lastSeq, last);
    if (msg.more) {
      this.#resync({ type: "RESYNC", lastSeq: this.state.lastSeq }, "seq");
      return;
    }
    this.resyncing = false;
    this.state.lastSeq = Math.max(this.state.lastSeq, msg.seq ?? 0, this.liveHigh);
  }

  #fresh(msg) {
    // Dedupe team messages that may arrive twice (live and in a RESYNC replay): seq + content.
    const key = `${msg.seq}|${stable(msg)}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    this.seenOrder.push(key);
    if (this.seenOrder.length > MAX_SEEN) this.seen.delete(this.seenOrder.shift());
    return true;
  }

  #apply(msg, replay) {
    if (TEAM_EVENTS.has(msg.type) && !this.#fresh(msg)) return;
    switch (msg.type) {
      case "ORDER_ACK":
        return this.#orderAck(msg, replay);
      case "FILL":
        return this.#fill(msg, replay);
      case "BALANCE_UPDATE":
        return this.#balance(msg);
      case "INVENTORY_UPDATE":
        return this.#inventory(msg, replay);
      case "OFFER":
        return this.#offer(msg);
      case "TICKER":
        return this.#ticker(msg);
      case "ORDER_BOOK_UPDATE":
        return this.#book(msg);
      case "ALL_ORDERS":
        return this.#allOrders(msg);
      case "PERFORMANCE_REPORT":
        this.state.perf = msg;
        return this.#changed("account");
      case "TOURNAMENT_STATE":
        this.state.tournament = { state: msg.state, endsAt: msg.endsAt ?? null };
        return this.#changed("tournament", "ticket", "production", "offers");
      case "BROADCAST_NOTIFICATION":
        return this.#broadcast(msg);
      default:
        return undefined;
    }
  }

  // ---- orders and fills ------------------------------------------------------------------------------

  #order(clOrdID) {
    let o = this.state.orders.get(clOrdID);
    if (!o) {
      o = {
        clOrdID, side: null, mode: null, product: null, quantity: null, price: null, filledQty: 0,
        remainingQty: null, status: "PENDING", reason: null, message: null, code: null, known: false,
        seq: 0, updatedAt: Date.now(), fillValue: 0,
      };
      this.state.orders.set(clOrdID, o);
    }
    return o;
  }

  #setStatus(o, status) {
    if (TERMINAL.has(o.status) && o.status !== "CLOSED") return;
    if ((RANK[status] ?? 0) < (RANK[o.status] ?? 0)) return;
    o.status = status;
  }

  #orderAck(msg, replay) {
    const known = this.state.orders.has(msg.clOrdID);
    const o = this.#order(msg.clOrdID);
    o.seq = Math.max(o.seq, msg.seq ?? 0);
    o.updatedAt = timeOf(msg) ?? Date.now();
    if (msg.status === "CANCELLED") {
      this.#setStatus(o, "CANCELLED");
      o.reason = msg.reason ?? o.reason;
      this.cancelling.delete(msg.clOrdID);
      if (!replay) {
        this.state.ordersPanel.info = `Order ${msg.clOrdID} cancelled (${msg.reason ?? "USER"})`;
        this.state.ordersPanel.error = null;
      }
    } else {
      this.#setStatus(o, o.filledQty > 0 ? "PARTIALLY_FILLED" : msg.status || "PENDING");
    }
    if (!known && !replay && !msg.clOrdID.startsWith("OFFER-")) this.#scheduleOrders();
    if (o.product) this.#bookChanged(o.product);
    this.#changed("orders", "ticket");
  }

  #fill(msg, replay) {
    const s = this.state;
    const o = this.#order(msg.clOrdID);
    o.side = o.side ?? msg.side;
    o.product = o.product ?? msg.product;
    o.quantity = msg.totalQty ?? o.quantity;
    o.remainingQty = msg.remainingQty;
    o.filledQty = (msg.totalQty ?? 0) - (msg.remainingQty ?? 0);
    o.fillValue += msg.fillQty * msg.fillPrice;
    o.seq = Math.max(o.seq, msg.seq ?? 0);
    o.updatedAt = timeOf(msg) ?? Date.now();
    if (!o.mode && msg.clOrdID.startsWith("OFFER-")) {
      o.mode = "LIMIT";
      o.price = msg.fillPrice;
      o.known = true;
      o.viaOffer = true;
    }
    this.#setStatus(o, msg.remainingQty === 0 ? "FILLED" : "PARTIALLY_FILLED");
    const fill = {
      fillId: msg.fillId, clOrdID: msg.clOrdID, seq: msg.seq ?? 0, time: timeOf(msg) ?? Date.now(),
      side: msg.side, product: msg.product, qty: msg.fillQty, price: msg.fillPrice,
      counterparty: msg.counterparty, counterpartyMessage: msg.counterpartyMessage ?? "", fresh: !replay,
    };
    s.fills.push(fill);
    s.fills.sort((a, b) => b.seq - a.seq || (a.fillId < b.fillId ? 1 : -1));
    if (s.fills.length > MAX_FILLS) s.fills.length = MAX_FILLS;
    this.#point(msg.product, { t: fill.time, price: msg.fillPrice, own: true, side: msg.side });
    // Our fill is a trade the market row may not show yet (its TICKER comes later, or came before a
    // reconnection): move last price and volume now; the next TICKER is authoritative again.
    const tk = s.tickers[msg.product];
    if (tk && (msg.seq ?? 0) > (tk.seq ?? -1)) {
      tk.lastPrice = msg.fillPrice;
      if (tk.volume24h !== null) tk.volume24h += msg.fillQty;
      this.#changed("market");
    }
    if (msg.clOrdID.startsWith("OFFER-")) this.#offerTraded(msg, replay);
    if (!replay) {
      this.#bookChanged(msg.product);
      this.#scheduleReport();
    }
    this.#changed("orders", "fills", "chart");
  }

  #scheduleOrders() {
    clearTimeout(this.ordersTimer);
    this.ordersTimer = setTimeout(() => this.#send({ type: "REQUEST_ALL_ORDERS" }), 300);
  }

  #scheduleReport() {
    clearTimeout(this.reportTimer);
    this.reportTimer = setTimeout(() => this.#send({ type: "REQUEST_PERFORMANCE_REPORT" }), 700);
  }

  #allOrders(msg) {
    const s = this.state;
    const listed = new Set();
    for (const row of msg.orders ?? []) {
      if (row.teamName && s.team && row.teamName !== s.team) continue;
      listed.add(row.clOrdID);
      const o = this.#order(row.clOrdID);
      Object.assign(o, {
        side: row.side, mode: row.mode, product: row.product, quantity: row.quantity,
        price: row.price ?? null, filledQty: row.filledQty, remainingQty: row.remainingQty,
        message: row.message ?? o.message, expiresAt: row.expiresAt ?? null, known: true,
        seq: Math.max(o.seq, row.seq ?? 0),
      });
      if (TERMINAL.has(o.status) && o.status !== "CLOSED") continue;
      o.status = row.status;
    }
    for (const o of s.orders.values()) {
      if (OPEN.has(o.status) && !listed.has(o.clOrdID) && o.seq <= (msg.seq ?? 0)) {
        o.status = "CLOSED";
        o.updatedAt = Date.now();
      }
    }
    this.#changed("orders");
  }

  #balance(msg) {
    const c = this.state.cash;
    if ((msg.seq ?? 0) < c.seq) return;
    Object.assign(c, { balance: msg.balance, available: msg.available, reserved: msg.reserved, seq: msg.seq ?? 0 });
    this.#changed("account", "ticket");
  }

  #inventory(msg, replay) {
    const g = this.state.goods;
    if ((msg.seq ?? 0) < g.seq) return;
    const before = g.inventory;
    const p = this.state.production.pending;
    if (p && !replay && (msg.seq ?? 0) > p.seqAtSend) {
      const gained = (msg.inventory?.[p.product] ?? 0) - (before[p.product] ?? 0);
      if (gained === p.quantity) {
        const pr = this.state.production;
        pr.pending = null;
        pr.error = null;
        pr.cooldownUntil = Date.now() + DEFAULT_COOLDOWN_S * 1000;
        pr.note = `Produced ${p.quantity} ${p.product}: inventory ${before[p.product] ?? 0} → ${msg.inventory[p.product]}`;
        this.#scheduleReport();
      }
    }
    g.inventory = { ...msg.inventory };
    g.available = { ...msg.available };
    g.seq = msg.seq ?? 0;
    this.#changed("inventory", "production", "ticket", "offers");
  }

  // ---- market ----------------------------------------------------------------------------------------

  #history(product) {
    let h = this.state.history[product];
    if (!h) {
      h = { trades: [], quotes: [] };
      this.state.history[product] = h;
    }
    return h;
  }

  #point(product, point) {
    const h = this.#history(product);
    h.trades.push(point);
    h.trades.sort((a, b) => a.t - b.t);
    if (h.trades.length > MAX_POINTS) h.trades.splice(0, h.trades.length - MAX_POINTS);
  }

  #ticker(msg) {
    const s = this.state;
    const p = msg.product;
    const prev = s.tickers[p];
    if (prev && (msg.seq ?? 0) < (prev.seq ?? -1)) return; // older than the book we already hold
    const next = {
      bestBid: msg.bestBid ?? null, bestAsk: msg.bestAsk ?? null, mid: msg.mid ?? null,
      lastPrice: msg.lastPrice ?? null, volume24h: msg.volume24h ?? 0, at: timeOf(msg) ?? Date.now(),
      seq: msg.seq ?? 0,
    };
    s.tickers[p] = next;
    s.tradable[p] = true;
    const t = next.at;
    const traded = next.lastPrice !== null && (!prev || prev.lastPrice !== next.lastPrice || prev.volume24h !== next.volume24h);
    if (traded) this.#point(p, { t, price: next.lastPrice, own: false });
    const quoteChanged = !prev || prev.bestBid !== next.bestBid || prev.bestAsk !== next.bestAsk;
    const h = this.#history(p);
    if (quoteChanged || h.quotes.length === 0) {
      h.quotes.push({ t, bid: next.bestBid, ask: next.bestAsk });
      if (h.quotes.length > MAX_POINTS) h.quotes.shift();
    }
    if (quoteChanged || traded) this.#bookChanged(p);
    this.#changed("market", ...(p === s.selected ? ["chart"] : []));
  }

  #book(msg) {
    const s = this.state;
    const p = msg.product;
    s.books[p] = { buyOrders: msg.buyOrders ?? [], sellOrders: msg.sellOrders ?? [], seq: msg.seq ?? 0, at: Date.now() };
    s.tradable[p] = true;
    // The book is a snapshot at its seq: its best prices are fresher than an older TICKER (after a
    // reconnection, say); last price and volume only come with TICKERs.
    const t = s.tickers[p];
    if (!t || (msg.seq ?? 0) >= (t.seq ?? -1)) {
      const bid = s.books[p].buyOrders[0]?.price ?? null;
      const ask = s.books[p].sellOrders[0]?.price ?? null;
      const next = {
        lastPrice: null, volume24h: null, ...t, bestBid: bid, bestAsk: ask, mid: midPrice(bid, ask),
        at: timeOf(msg) ?? Date.now(), seq: msg.seq ?? 0,
      };
      s.tickers[p] = next;
      if (t && (t.bestBid !== bid || t.bestAsk !== ask)) {
        const h = this.#history(p);
        h.quotes.push({ t: next.at, bid, ask });
        if (h.quotes.length > MAX_POINTS) h.quotes.shift();
        this.#changed("chart");
      }
    }
    const r = this.bookRequests[p];
    if (r) {
      r.inFlight = false;
      if (r.again) {
        r.again = false;
        this.requestBook(p);
      }
    }
    this.#changed("book", "market", "ticket");
  }

  // The selected product's book is refreshed when its ticker or our orders change it; one request in
  // flight per product, a change meanwhile asks once more.
  #bookChanged(product) {
    if (product === this.state.selected) this.requestBook(product);
  }

  requestBook(product, force = false) {
    if (!product || (this.state.tradable[product] === false && !force)) return;
    const r = (this.bookRequests[product] ??= { inFlight: false, again: false });
    if (r.inFlight && !force) {
      r.again = true;
      return;
    }
    if (this.#send({ type: "REQUEST_ORDER_BOOK", product })) r.inFlight = true;
  }

  select(product) {
    const s = this.state;
    if (!product || !s.catalogue.includes(product)) return;
    s.selected = product;
    s.ticket.product = product;
    this.requestBook(product);
    this.#changed("market", "chart", "book", "ticket");
  }

  // ---- offers ----------------------------------------------------------------------------------------

  #offer(msg) {
    const s = this.state;
    if (s.offers.has(msg.offerId)) return;
    const received = this.serverNow();
    let expires = Date.parse(msg.expiresAt ?? "");
    expires = Number.isNaN(expires) ? this.serverNow() + (msg.expiresIn ?? 0) : expires;
    s.offers.set(msg.offerId, {
      offerId: msg.offerId, buyer: msg.buyer, product: msg.product, quantityRequested: msg.quantityRequested,
      maxPrice: msg.maxPrice, expiresAt: expires, received, emulated: Boolean(msg.emulated),
      qty: String(msg.quantityRequested), price: Number(msg.maxPrice).toFixed(2), error: null, note: null,
      sold: 0, dismissed: false,
    });
    this.#saveOffers();
    this.#changed("offers");
  }

  #offerTraded(msg, replay) {
    const pending = this.pendingOffer;
    const offer = pending ? this.state.offers.get(pending) : null;
    if (!offer || replay || offer.product !== msg.product || offer.buyer !== msg.counterparty) return;
    offer.sold += msg.fillQty;
    offer.note = `Sold ${msg.fillQty} ${msg.product} @ ${Number(msg.fillPrice).toFixed(2)} to ${msg.counterparty}`;
    offer.error = null;
    this.pendingOffer = null;
    this.state.offersPanel.info = offer.note;
    this.#saveOffers();
    this.#changed("offers");
  }

  #offersKey() {
    return `avex.offers.${this.state.team}`;
  }

  #saveOffers() {
    try {
      const live = [...this.state.offers.values()].filter((o) => !o.dismissed && o.expiresAt > this.serverNow());
      localStorage.setItem(this.#offersKey(), JSON.stringify(live.map((o) => ({ ...o, error: null }))));
    } catch {
      // offers are not kept across reloads then
    }
  }

  #restoreOffers() {
    try {
      const saved = JSON.parse(localStorage.getItem(this.#offersKey()) ?? "[]");
      for (const o of saved) {
        if (o && o.offerId && o.expiresAt > this.serverNow()) this.state.offers.set(o.offerId, o);
      }
    } catch {
      // a broken entry is simply dropped
    }
  }

  setOfferField(offerId, field, value) {
    const o = this.state.offers.get(offerId);
    if (!o) return;
    o[field] = value;
    o.error = null;
  }

  acceptOffer(offerId) {
    const s = this.state;
    const o = s.offers.get(offerId);
    if (!o) return;
    if (s.tournament.state !== "OPEN") {
      o.error = "Market is closed (SERVICE_UNAVAILABLE)";
      this.#changed("offers");
      return;
    }
    if (o.expiresAt <= this.serverNow()) {
      o.error = `offer expired: ${offerId} (OFFER_EXPIRED)`;
      this.#changed("offers");
      return;
    }
    const v = validateAcceptOffer(o, { qty: o.qty, price: o.price }, s.goods.available[o.product]);
    if (!v.ok) {
      o.error = `${v.reason} (${v.code})`;
      this.#changed("offers");
      return;
    }
    o.error = null;
    o.note = "Sending…";
    this.lastAction = "offer";
    this.pendingOffer = offerId;
    if (!this.#send(v.frame)) {
      o.note = null;
      o.error = "Not connected: try again when the connection is back";
    }
    this.#changed("offers");
  }

  declineOffer(offerId) {
    const o = this.state.offers.get(offerId);
    if (!o) return;
    this.#send({ type: "ACCEPT_OFFER", offerId, accept: false });
    o.dismissed = true;
    this.state.offers.delete(offerId);
    this.#saveOffers();
    this.#changed("offers");
  }

  // ---- order ticket ----------------------------------------------------------------------------------

  setTicket(field, value) {
    const t = this.state.ticket;
    t[field] = value;
    if (field === "product" && value && value !== this.state.selected) this.select(value);
    t.error = null;
    this.#changed("ticket");
  }

  nextClOrdID() {
    this.clCounter += 1;
    return `${this.clPrefix}-${Date.now().toString(36)}-${this.clCounter}`;
  }

  #expiresAt() {
    const t = this.state.ticket;
    if (!t.expiry) return "";
    if (t.expiry === "at") {
      if (!t.expiryAt) return "bad";
      const d = new Date(t.expiryAt);
      return Number.isNaN(d.getTime()) ? "bad" : d.toISOString();
    }
    return new Date(this.serverNow() + Number(t.expiry) * 1000).toISOString();
  }

  submitOrder() {
    const s = this.state;
    const t = s.ticket;
    t.info = null;
    if (s.tournament.state !== "OPEN") {
      t.error = { code: "SERVICE_UNAVAILABLE", reason: `Market is ${s.tournament.state === "PAUSED" ? "paused" : "closed"}: orders are refused` };
      this.#changed("ticket");
      return null;
    }
    const draft = {
      clOrdID: this.nextClOrdID(), side: t.side, mode: t.mode, product: t.product, qty: t.qty,
      price: t.price, expiresAt: this.#expiresAt(), message: t.message,
    };
    const v = validateOrder(draft, { catalogue: s.catalogue, tradable: s.tradable, now: this.serverNow() });
    if (!v.ok) {
      t.error = { code: v.code, reason: v.reason, field: v.field };
      this.clCounter -= 1;
      this.#changed("ticket");
      return null;
    }
    if (!this.#send(v.frame)) {
      t.error = { code: "", reason: "Not connected: the order was not sent" };
      this.#changed("ticket");
      return null;
    }
    const f = v.frame;
    s.orders.set(f.clOrdID, {
      clOrdID: f.clOrdID, side: f.side, mode: f.mode, product: f.product, quantity: f.qty,
      price: f.limitPrice ?? null, filledQty: 0, remainingQty: f.qty, status: "SENT", reason: null,
      message: f.message ?? null, expiresAt: f.expiresAt ?? null, code: null, known: true, seq: 0,
      updatedAt: Date.now(), fillValue: 0,
    });
    this.lastAction = "order";
    t.error = null;
    t.info = `Sent ${f.side} ${f.qty} ${f.product} ${f.mode === "LIMIT" ? `@ ${v.priceText}` : "at market"} (${f.clOrdID})`;
    this.#changed("ticket", "orders");
    return f.clOrdID;
  }

  cancelOrder(clOrdID) {
    const p = this.state.ordersPanel;
    this.cancelling.add(clOrdID);
    p.error = null;
    p.info = this.#send({ type: "CANCEL", clOrdID }) ? `Cancelling ${clOrdID}…` : "Not connected: cancel not sent";
    this.#changed("orders");
  }

  setOrdersTab(tab) {
    this.state.ordersPanel.tab = tab;
    this.#changed("orders");
  }

  // ---- production ------------------------------------------------------------------------------------

  maxFor(product) {
    const s = this.state;
    if (!s.role || !s.recipes[product]) return undefined;
    return maxBatch(s.role, s.recipes[product]);
  }

  setProductionQty(product, value) {
    this.state.production.quantities[product] = value;
    this.state.production.error = null;
  }

  produce(product) {
    const s = this.state;
    const pr = s.production;
    pr.note = null;
    if (s.tournament.state !== "OPEN") {
      pr.error = "Market is closed (SERVICE_UNAVAILABLE)";
      this.#changed("production");
      return;
    }
    const v = validateProduction(product, pr.quantities[product], this.maxFor(product));
    if (!v.ok) {
      pr.error = `${v.reason} (${v.code})`;
      this.#changed("production");
      return;
    }
    if (!this.#send(v.frame)) {
      pr.error = "Not connected: production not sent";
      this.#changed("production");
      return;
    }
    pr.error = null;
    pr.pending = { product, quantity: v.frame.quantity, seqAtSend: s.lastSeq, at: Date.now() };
    pr.note = `Producing ${v.frame.quantity} ${product}…`;
    this.lastAction = "production";
    setTimeout(() => {
      if (pr.pending && Date.now() - pr.pending.at >= 9000) {
        pr.pending = null;
        pr.note = null;
        this.#changed("production");
      }
    }, 10_000);
    this.#changed("production");
  }

  // ---- errors, broadcasts, tournament -----------------------------------------------------------------

  #error(msg) {
    const s = this.state;
    const text = `${msg.reason} (${msg.code})`;
    if (!this.loggedIn) {
      if (msg.code !== "AUTH_FAILED") {
        if (s.view === "login") s.login.error = text;
        else s.conn.notice = text;
        this.#changed("login", "conn");
        return;
      }
      // A refused login: forget the token, stop reconnecting, show the reason.
      this.link.stop();
      try {
        localStorage.removeItem(TOKEN_KEY);
      } catch {
        // nothing remembered
      }
      this.#endSession();
      const conn = s.conn;
      this.state = freshState();
      this.state.conn = conn;
      this.state.login = { error: text, busy: false };
      this.#changed("all");
      return;
    }
    if (typeof msg.seq === "number") this.#trackSeq(msg);
    const reason = String(msg.reason ?? "");
    if (reason === "Server is shutting down") {
      s.conn.notice = "The server is restarting; the page reconnects by itself.";
      this.#changed("conn");
      return;
    }
    if (msg.clOrdID !== undefined && this.cancelling.has(msg.clOrdID)) {
      this.cancelling.delete(msg.clOrdID);
      s.ordersPanel.error = `Cancel ${msg.clOrdID}: ${text}`;
      s.ordersPanel.info = null;
      this.#changed("orders");
      return;
    }
    if (msg.clOrdID !== undefined) {
      const o = s.orders.get(msg.clOrdID);
      if (o) {
        o.status = "REJECTED";
        o.reason = msg.reason;
        o.code = msg.code;
        o.updatedAt = Date.now();
      }
      s.ticket.error = { code: msg.code, reason: `${msg.reason}${o ? "" : ` — ${msg.clOrdID}`}`, clOrdID: msg.clOrdID };
      s.ticket.info = null;
      this.#changed("ticket", "orders");
      return;
    }
    const cooldown = /^Production cooldown: retry in (\d+) s/.exec(reason);
    const productionReason = /ingredients|produce|producible|exceeds the maximum|would exceed/.test(reason);
    const offerReason = /offer|Offer ID|maxPrice|Price must be positive/.test(reason);
    const book = /^(?:product not tradable|invalid product): (.+)$/.exec(reason);
    if (cooldown || productionReason || (this.lastAction === "production" && !offerReason && !book)) {
      const pr = s.production;
      pr.pending = null;
      pr.note = null;
      pr.error = text;
      if (cooldown) pr.cooldownUntil = Date.now() + Number(cooldown[1]) * 1000;
      this.#changed("production");
      return;
    }
    if (offerReason || this.lastAction === "offer") {
      const o = this.pendingOffer ? s.offers.get(this.pendingOffer) : null;
      this.pendingOffer = null;
      if (o) {
        o.error = text;
        o.note = null;
      } else {
        s.offersPanel.error = text;
      }
      this.#changed("offers");
      return;
    }
    if (book && this.bookRequests[book[1]]?.inFlight) {
      const r = this.bookRequests[book[1]];
      r.inFlight = false;
      if (reason.startsWith("product not tradable")) s.tradable[book[1]] = false;
      this.#changed("market", "book", "ticket");
      return;
    }
    this.#notice(text);
  }

  #notice(text) {
    const s = this.state;
    this.noticeCounter = (this.noticeCounter ?? 0) + 1;
    s.notices.unshift({ key: `n${this.noticeCounter}`, text, at: Date.now() });
    s.notices.length = Math.min(s.notices.length, 5);
    this.#changed("banners");
  }

  dismissNotice(key) {
    this.state.notices = this.state.notices.filter((n) => n.key !== key);
    this.#changed("banners");
  }

  #broadcast(msg) {
    const s = this.state;
    const key = `${msg.seq ?? ""}|${msg.sender}|${msg.message}|${msg.serverTime ?? ""}`;
    if (s.broadcasts.some((b) => b.key === key)) return;
    s.broadcasts.unshift({ key, message: msg.message, sender: msg.sender, at: timeOf(msg) ?? Date.now() });
    s.broadcasts.length = Math.min(s.broadcasts.length, 5);
    this.#changed("banners");
  }

  dismissBroadcast(key) {
    this.state.broadcasts = this.state.broadcasts.filter((b) => b.key !== key);
    this.#changed("banners");
  }
}
