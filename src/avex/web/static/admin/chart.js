/* avex — tiny SVG price charts (no dependencies). Shared by the referee dashboard and the big board.
 *
 *   AvexChart.sparkline(svg, points)          — a trend line filling the element's viewBox
 *   AvexChart.line(svg, points, opts)         — a step line with min/max labels; opts: now (extend the last
 *                                                price to this time), format, fontSize, width, empty
 *
 * points: [{t: epoch ms, p: price}] in time order. */
"use strict";
(function (global) {
  const NS = "http://www.w3.org/2000/svg";

  function node(tag, attrs, text) {
    const el = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
    if (text !== undefined) el.textContent = text;
    return el;
  }

  // The drawing uses the element's pixel size (so text is not stretched), else its viewBox.
  function box(svg) {
    const vb = svg.viewBox && svg.viewBox.baseVal;
    const w = svg.clientWidth || (vb && vb.width) || 120;
    const h = svg.clientHeight || (vb && vb.height) || 24;
    svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
    return { w, h };
  }

  function scale(points, w, h, pad) {
    const t0 = points[0].t, t1 = points[points.length - 1].t;
    let lo = Infinity, hi = -Infinity;
    for (const pt of points) { if (pt.p < lo) lo = pt.p; if (pt.p > hi) hi = pt.p; }
    if (hi - lo < 1e-9) { hi += 1; lo -= 1; }
    const span = Math.max(1, t1 - t0);
    const x = (t) => pad.l + ((t - t0) / span) * (w - pad.l - pad.r);
    const y = (p) => pad.t + (1 - (p - lo) / (hi - lo)) * (h - pad.t - pad.b);
    return { x, y, lo, hi };
  }

  function clear(svg) { while (svg.firstChild) svg.removeChild(svg.firstChild); }

  function sparkline(svg, points) {
    clear(svg);
    const { w, h } = box(svg);
    if (!points || points.length === 0) return;
    const pts = points.length === 1 ? [points[0], { t: points[0].t + 1, p: points[0].p }] : points;
    const s = scale(pts, w, h, { l: 1, r: 1, t: 2, b: 2 });
    const d = pts.map((pt, i) => `${i ? "L" : "M"}${s.x(pt.t).toFixed(1)},${s.y(pt.p).toFixed(1)}`).join("");
    const first = pts[0].p, last = pts[pts.length - 1].p;
    const color = last > first ? "#4caf50" : last < first ? "#ef5350" : "#90a4ae";
    svg.appendChild(node("path", { d, fill: "none", stroke: color, "stroke-width": 1.5,
      "vector-effect": "non-scaling-stroke" }));
  }

  function line(svg, points, opts) {
    clear(svg);
    const { w, h } = box(svg);
    const o = opts || {};
    const fmt = o.format || ((v) => v.toFixed(2));
    if (!points || points.length === 0) {
      svg.appendChild(node("text", { x: w / 2, y: h / 2, fill: "#8a99a8", "text-anchor": "middle",
        "font-size": o.fontSize || 14 }, o.empty || "no trades yet"));
      return;
    }
    let pts = points.length === 1 ? [points[0], { t: points[0].t + 1, p: points[0].p }] : points;
    const lastPt = pts[pts.length - 1];
    if (o.now && o.now > lastPt.t) pts = [...pts, { t: o.now, p: lastPt.p, extended: true }];
    const fs = o.fontSize || 12;
    const s = scale(pts, w, h, { l: 6, r: fs * 4.5, t: fs, b: fs });
    for (const v of [s.lo, s.hi]) {
      svg.appendChild(node("line", { x1: 0, x2: w, y1: s.y(v), y2: s.y(v), stroke: "#2a3540",
        "stroke-dasharray": "4 4", "vector-effect": "non-scaling-stroke" }));
      svg.appendChild(node("text", { x: w - 2, y: s.y(v) + fs / 3, fill: "#8a99a8", "text-anchor": "end",
        "font-size": fs }, fmt(v)));
    }
    let d = "";
    pts.forEach((pt, i) => {
      const x = s.x(pt.t).toFixed(1), y = s.y(pt.p).toFixed(1);
      d += i ? `H${x}V${y}` : `M${x},${y}`;
    });
    const first = pts[0].p, last = pts[pts.length - 1].p;
    const color = last > first ? "#4caf50" : last < first ? "#ef5350" : "#42a5f5";
    svg.appendChild(node("path", { d, fill: "none", stroke: color, "stroke-width": o.width || 2,
      "vector-effect": "non-scaling-stroke" }));
    const lx = s.x(lastPt.t), ly = s.y(last);
    svg.appendChild(node("circle", { cx: lx, cy: ly, r: 3, fill: color }));
  }

  global.AvexChart = { sparkline, line };
})(window);
