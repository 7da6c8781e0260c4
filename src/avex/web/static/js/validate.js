// Client-side checks that mirror the server's (PROTOCOL §4.3 rows 3–16 for ORDER, §4.5 for ACCEPT_OFFER,
// §4.6 rows 3–9 for PRODUCTION_UPDATE), in the server's order and with its codes and reasons, so a student
// sees the same words before sending as the server would answer.
import { centsToNumber, centsToText, toCents } from "./num.js";

export const MAX_QTY = 1_000_000;
export const MAX_PRICE_CENTS = 100_000_000n;
export const MAX_MESSAGE_BYTES = 200;
export const MAX_CLORDID_CHARS = 128;

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const encoder = new TextEncoder();

export const utf8Bytes = (text) => encoder.encode(text ?? "").length;

const fail = (code, reason, field) => ({ ok: false, code, reason, field });

// Parses a whole-number text field; returns {value} or {bad: "absent"|"format"}.
function wholeNumber(text) {
  const t = String(text ?? "").trim();
  if (t === "") return { bad: "absent" };
  if (!/^[+-]?\d+$/.test(t)) return { bad: "format" };
  return { value: Number(t) };
}

// ticket: {clOrdID, side, mode, product, qty, price, expiresAt, message} as text from the form.
// ctx: {catalogue: [codes], tradable: {code: true|false|undefined}, now: ms}
export function validateOrder(ticket, ctx) {
  const q = wholeNumber(ticket.qty);
  if (q.bad === "format") return fail("INVALID_MESSAGE", "Quantity must be a whole number", "qty");
  const clOrdID = ticket.clOrdID ?? "";
  if (!clOrdID) return fail("INVALID_MESSAGE", "Order ID (clOrdID) is required", "clOrdID");
  if ([...clOrdID].length > MAX_CLORDID_CHARS) {
    return fail("INVALID_MESSAGE", "Order ID (clOrdID) too long (max 128 characters)", "clOrdID");
  }
  const product = ticket.product ?? "";
  if (!product) return fail("INVALID_PRODUCT", "Product is required", "product");
  if (ticket.side !== "BUY" && ticket.side !== "SELL") return fail("INVALID_MESSAGE", "Side must be BUY or SELL", "side");
  if (q.bad || q.value <= 0) return fail("INVALID_QUANTITY", "Quantity must be positive", "qty");
  if (q.value > MAX_QTY) return fail("INVALID_QUANTITY", "Quantity must be at most 1000000", "qty");
  if (ticket.mode !== "LIMIT" && ticket.mode !== "MARKET") {
    return fail("INVALID_MESSAGE", "Mode must be MARKET or LIMIT", "mode");
  }
  let cents = null;
  if (ticket.mode === "LIMIT") {
    cents = toCents(String(ticket.price ?? "").trim());
    if (cents === null || cents <= 0n) {
      return fail("INVALID_MESSAGE", "Limit price must be positive for LIMIT orders", "price");
    }
    if (cents > MAX_PRICE_CENTS) return fail("INVALID_MESSAGE", "Limit price must be at most 1000000", "price");
  }
  if (!ctx.catalogue.includes(product)) return fail("INVALID_PRODUCT", `invalid product: ${product}`, "product");
  if (ctx.tradable[product] === false) return fail("INVALID_PRODUCT", `product not tradable: ${product}`, "product");
  const message = ticket.message ?? "";
  if (utf8Bytes(message) > MAX_MESSAGE_BYTES) {
    return fail("INVALID_ORDER", "message too long (max 200 characters)", "message");
  }
  const expiresAt = ticket.expiresAt ?? "";
  if (expiresAt) {
    if (!RFC3339.test(expiresAt) || Number.isNaN(Date.parse(expiresAt))) {
      return fail("INVALID_MESSAGE", "Invalid expiresAt timestamp format", "expiresAt");
    }
    // Row 19 is the engine's, but sending a past expiry would only burn the clOrdID.
    if (Date.parse(expiresAt) <= (ctx.now ?? Date.now())) {
      return fail("INVALID_ORDER", "expiresAt is in the past", "expiresAt");
    }
  }
  const frame = { type: "ORDER", clOrdID, side: ticket.side, mode: ticket.mode, product, qty: q.value };
  if (cents !== null) frame.limitPrice = centsToNumber(cents);
  if (expiresAt) frame.expiresAt = expiresAt;
  if (message) frame.message = message;
  return { ok: true, frame, priceText: cents === null ? null : centsToText(cents) };
}

// offer: the OFFER; form: {qty, price}; available: units of the product the team has available.
export function validateAcceptOffer(offer, form, available) {
  const q = wholeNumber(form.qty);
  if (q.bad === "format") return fail("INVALID_MESSAGE", "Quantity must be a whole number", "qty");
  if (q.bad || q.value <= 0) return fail("INVALID_QUANTITY", "Quantity must be positive", "qty");
  if (q.value > offer.quantityRequested) {
    return fail("INVALID_QUANTITY", `Quantity must be at most ${offer.quantityRequested} (requested)`, "qty");
  }
  const cents = toCents(String(form.price ?? "").trim());
  if (cents === null || cents <= 0n) return fail("INVALID_ORDER", "Price must be positive", "price");
  const maxCents = toCents(String(offer.maxPrice));
  if (cents > maxCents) {
    return fail("INVALID_ORDER", `Price ${centsToText(cents)} exceeds maxPrice ${centsToText(maxCents)}`, "price");
  }
  if (available !== undefined && available < q.value) {
    return fail("INSUFFICIENT_INVENTORY",
      `Insufficient inventory for ${offer.product}: need ${q.value}, available ${available}`, "qty");
  }
  return {
    ok: true,
    frame: {
      type: "ACCEPT_OFFER", offerId: offer.offerId, accept: true,
      quantityOffered: q.value, priceOffered: centsToNumber(cents),
    },
  };
}

export function validateProduction(product, qtyText, max) {
  const q = wholeNumber(qtyText);
  if (!product) return fail("INVALID_PRODUCT", "Product is required", "product");
  if (q.bad === "format") return fail("INVALID_MESSAGE", "Quantity must be a whole number", "qty");
  if (q.bad || q.value <= 0) return fail("INVALID_QUANTITY", "Quantity must be positive", "qty");
  if (max !== undefined && q.value > max) {
    return fail("INVALID_QUANTITY", `Quantity exceeds the maximum of ${max} for ${product}`, "qty");
  }
  return { ok: true, frame: { type: "PRODUCTION_UPDATE", product, quantity: q.value } };
}
