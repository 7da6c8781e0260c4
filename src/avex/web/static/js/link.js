// One WebSocket to ws(s)://<this host>/ws with automatic reconnection (exponential backoff with jitter)
// and an application-level PING so a silently dead network is noticed. JSON objects in, JSON objects out.

const BACKOFF_MS = [500, 1000, 2000, 4000, 8000];
const PING_EVERY_MS = 20_000;
const SILENCE_LIMIT_MS = 50_000;

export function socketUrl(loc = window.location) {
  return `${loc.protocol === "https:" ? "wss:" : "ws:"}//${loc.host}/ws`;
}

export class Link {
  // handlers: {open(), message(obj), status({state, attempt, retryAt, code, reason})}
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.ws = null;
    this.attempt = 0;
    this.wanted = false;
    this.retryTimer = null;
    this.pingTimer = null;
    this.lastReceived = 0;
  }

  start() {
    this.wanted = true;
    this.attempt = 0;
    this.#open();
  }

  // Stop for good (log out, bad token, admin redirect).
  stop() {
    this.wanted = false;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, "bye");
    this.handlers.status({ state: "offline" });
  }

  // The session is healthy again: the next outage starts from the shortest delay.
  resetBackoff() {
    this.attempt = 0;
  }

  send(obj) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(obj));
    return true;
  }

  get isOpen() {
    return Boolean(this.ws && this.ws.readyState === WebSocket.OPEN);
  }

  #open() {
    clearTimeout(this.retryTimer);
    this.handlers.status({ state: "connecting", attempt: this.attempt });
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      this.#retry({ code: 0, reason: "cannot open socket" });
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.lastReceived = Date.now();
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.#heartbeat(ws), PING_EVERY_MS);
      this.handlers.open();
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.lastReceived = Date.now();
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (msg && typeof msg === "object") this.handlers.message(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.pingTimer);
      if (this.wanted) this.#retry({ code: ev.code, reason: ev.reason });
    };
    ws.onerror = () => {
      // onclose follows and schedules the retry.
    };
  }

  #heartbeat(ws) {
    if (this.ws !== ws) return;
    if (Date.now() - this.lastReceived > SILENCE_LIMIT_MS) {
      ws.close(4000, "no answer");
      return;
    }
    this.send({ type: "PING" });
  }

  #retry(info) {
    const base = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempt += 1;
    const retryAt = Date.now() + delay;
    this.handlers.status({ state: "reconnecting", attempt: this.attempt, retryAt, ...info });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.wanted) this.#open();
    }, delay);
  }
}
