// Display helpers. Money arrives as JSON numbers with at most two decimals: always shown with two.

const MONEY = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const INT = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export const DASH = "—";

export function money(value) {
  if (value === null || value === undefined || value === "" || Number.isNaN(Number(value))) return DASH;
  return MONEY.format(Number(value));
}

export function signedMoney(value) {
  if (value === null || value === undefined) return DASH;
  const n = Number(value);
  return `${n > 0 ? "+" : ""}${MONEY.format(n)}`;
}

export function qty(value) {
  if (value === null || value === undefined || value === "") return DASH;
  return INT.format(Number(value));
}

const pad = (n) => String(n).padStart(2, "0");

export function clock(ms) {
  if (!ms) return DASH;
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// 75_000 -> "1:15", 3_725_000 -> "1:02:05"; never negative.
export function countdown(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
