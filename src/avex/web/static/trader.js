// The avex trader page: one state object (client.state), one WebSocket (wire protocol only), rendered
// by View. This file wires DOM events to client actions and batches redraws.
import { Client } from "./js/client.js";
import { View } from "./js/render.js";

const $ = (id) => document.getElementById(id);

const dirty = new Set();
let scheduled = false;

function flush() {
  scheduled = false;
  if (dirty.size === 0) return;
  const panels = new Set(dirty);
  dirty.clear();
  view.render(panels);
}

function invalidate(panels) {
  for (const p of panels) dirty.add(p);
  if (scheduled) return;
  scheduled = true;
  // requestAnimationFrame does not run in hidden tabs; the timeout keeps those up to date too.
  requestAnimationFrame(flush);
  setTimeout(flush, 120);
}

const client = new Client(invalidate);
const view = new View(client);

function on(target, type, handler) {
  target.addEventListener(type, handler);
}

function actionTarget(ev) {
  return ev.target instanceof Element ? ev.target.closest("[data-action]") : null;
}

function wire() {
  on($("login-form"), "submit", (ev) => {
    ev.preventDefault();
    client.login($("token-input").value);
  });
  on($("logout"), "click", () => {
    client.logout();
    $("token-input").value = "";
    $("token-input").focus();
  });

  // Clicks anywhere on the page that carry a data-action.
  on(document, "click", (ev) => {
    const t = actionTarget(ev);
    if (!t) return;
    switch (t.dataset.action) {
      case "select":
        client.select(t.dataset.product);
        break;
      case "book-price":
        client.setTicket("side", t.dataset.side);
        client.setTicket("mode", "LIMIT");
        client.setTicket("price", Number(t.dataset.price).toFixed(2));
        $("t-qty").focus();
        break;
      case "cancel":
        client.cancelOrder(t.dataset.id);
        break;
      case "accept-offer":
        client.acceptOffer(t.dataset.offer);
        break;
      case "decline-offer":
        client.declineOffer(t.dataset.offer);
        break;
      case "produce":
        client.produce(t.dataset.product);
        break;
      case "dismiss-broadcast":
        client.dismissBroadcast(t.dataset.id);
        break;
      case "dismiss-notice":
        client.dismissNotice(t.dataset.id);
        break;
      default:
        break;
    }
  });

  // Offer and production inputs keep their values in the state object.
  on(document, "input", (ev) => {
    const t = ev.target;
    if (!(t instanceof HTMLInputElement)) return;
    if (t.dataset.offer) client.setOfferField(t.dataset.offer, t.dataset.field, t.value);
    else if (t.classList.contains("prod-qty")) client.setProductionQty(t.dataset.product, t.value);
  });
  on(document, "keydown", (ev) => {
    const t = ev.target;
    if (ev.key !== "Enter" || !(t instanceof HTMLInputElement)) return;
    if (t.dataset.offer) {
      ev.preventDefault();
      client.acceptOffer(t.dataset.offer);
    } else if (t.classList.contains("prod-qty")) {
      ev.preventDefault();
      client.produce(t.dataset.product);
    }
  });

  // The order ticket.
  const ticket = $("ticket");
  const fields = { "t-product": "product", "t-qty": "qty", "t-price": "price", "t-expiry": "expiry", "t-expiry-at": "expiryAt", "t-message": "message" };
  on(ticket, "input", (ev) => {
    const t = ev.target;
    if (t.name === "side" || t.name === "mode") client.setTicket(t.name, t.value);
    else if (fields[t.id]) client.setTicket(fields[t.id], t.value);
  });
  on(ticket, "change", (ev) => {
    const t = ev.target;
    if (t.name === "side" || t.name === "mode") client.setTicket(t.name, t.value);
    else if (fields[t.id]) client.setTicket(fields[t.id], t.value);
  });
  on(ticket, "submit", (ev) => {
    ev.preventDefault();
    client.submitOrder();
  });

  // Tabs: click, and arrow keys between them.
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    on(tab, "click", () => client.setOrdersTab(tab.dataset.tab));
    on(tab, "keydown", (ev) => {
      if (ev.key !== "ArrowLeft" && ev.key !== "ArrowRight") return;
      const next = client.state.ordersPanel.tab === "open" ? "history" : "open";
      client.setOrdersTab(next);
      $(`tab-${next}`).focus();
    });
  }
}

wire();
setInterval(() => invalidate(["clock"]), 1000);
client.boot();
// For tests and the curious: the state object and the client, read-only by convention.
window.avexTrader = client;
