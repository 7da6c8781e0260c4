// A small inline-SVG price chart: trade prices seen (TICKER last prices and our own fills) as a line,
// best bid and best ask as dashed steps, our fills as dots. Events are spaced evenly (a tick chart), so a
// burst of trades stays readable next to a quiet hour. No library.
import { clock, escapeHtml, money } from "./format.js";

const W = 640;
const H = 220;
const PAD = { left: 56, right: 12, top: 12, bottom: 26 };
const STEPS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000,
  2000, 2500, 5000, 10_000, 20_000, 25_000, 50_000, 100_000, 200_000, 250_000, 500_000, 1_000_000];

// Axis from a whole number of "nice" steps around [lo, hi], at most 5 intervals.
function niceAxis(lo, hi) {
  if (hi - lo < 0.01) {
    lo -= 0.05;
    hi += 0.05;
  }
  const step = STEPS.find((s) => (Math.ceil(hi / s) - Math.floor(lo / s)) <= 5) ?? STEPS[STEPS.length - 1];
  const min = Math.max(0, Math.floor(lo / step) * step);
  const max = Math.ceil(hi / step) * step;
  const ticks = [];
  for (let v = min; v <= max + step / 2; v += step) ticks.push(Math.round(v * 100) / 100);
  return { min, max: max > min ? max : min + step, ticks };
}

function stepPath(points, x, y) {
  let d = "";
  let drawing = false;
  for (const p of points) {
    if (p.v === null || p.v === undefined) {
      if (drawing) d += `H${x(p.t).toFixed(1)}`;
      drawing = false;
      continue;
    }
    d += drawing ? `H${x(p.t).toFixed(1)}V${y(p.v).toFixed(1)}` : `M${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
    drawing = true;
  }
  return d;
}

export function chartSvg(history, product) {
  const trades = history?.trades ?? [];
  const quotes = history?.quotes ?? [];
  const prices = [
    ...trades.map((p) => p.price),
    ...quotes.flatMap((q) => [q.bid, q.ask]).filter((v) => v !== null && v !== undefined),
  ];
  if (prices.length === 0) {
    return `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="chart-empty">No trades or quotes seen yet for ${escapeHtml(product)}</text>`;
  }
  // Evenly spaced events; one more slot on the right for "now".
  const times = [...new Set([...trades.map((p) => p.t), ...quotes.map((q) => q.t)])].sort((a, b) => a - b);
  const slot = new Map(times.map((t, i) => [t, i]));
  const slots = times.length;
  const x = (t) => PAD.left + ((slot.get(t) ?? slots) / slots) * (W - PAD.left - PAD.right);
  const axis = niceAxis(Math.min(...prices), Math.max(...prices));
  const y = (v) => PAD.top + (1 - (v - axis.min) / (axis.max - axis.min)) * (H - PAD.top - PAD.bottom);
  const parts = [];
  for (const v of axis.ticks) {
    const yy = y(v).toFixed(1);
    parts.push(`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${yy}" y2="${yy}"/>`);
    parts.push(`<text class="axis" x="${PAD.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${money(v)}</text>`);
  }
  parts.push(`<text class="axis" x="${PAD.left}" y="${H - 6}">${clock(times[0])}</text>`);
  parts.push(`<text class="axis" x="${W - PAD.right}" y="${H - 6}" text-anchor="end">${clock(times[times.length - 1])}</text>`);
  const NOW = Number.POSITIVE_INFINITY; // not in `slot`: the right edge
  const extend = (pts) => (pts.length ? [...pts, { t: NOW, v: pts[pts.length - 1].v }] : pts);
  const bid = stepPath(extend(quotes.map((q) => ({ t: q.t, v: q.bid }))), x, y);
  const ask = stepPath(extend(quotes.map((q) => ({ t: q.t, v: q.ask }))), x, y);
  if (bid) parts.push(`<path class="bid" d="${bid}"><title>best bid</title></path>`);
  if (ask) parts.push(`<path class="ask" d="${ask}"><title>best ask</title></path>`);
  if (trades.length) {
    const line = trades.map((p) => `${x(p.t).toFixed(1)},${y(p.price).toFixed(1)}`).join(" ");
    parts.push(`<polyline class="trade" points="${line}"><title>trade prices</title></polyline>`);
    // Market trades first, our own fills on top.
    for (const p of [...trades.filter((q) => !q.own), ...trades.filter((q) => q.own)]) {
      const cls = p.own ? `own ${p.side === "BUY" ? "buy" : "sell"}` : "mkt";
      const r = p.own ? 4.5 : 2.5;
      parts.push(`<circle class="${cls}" cx="${x(p.t).toFixed(1)}" cy="${y(p.price).toFixed(1)}" r="${r}">` +
        `<title>${p.own ? `our ${p.side} fill` : "trade"} ${money(p.price)} at ${clock(p.t)}</title></circle>`);
    }
  }
  return parts.join("");
}

export const CHART_VIEWBOX = `0 0 ${W} ${H}`;
