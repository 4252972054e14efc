/* Session page: per-stride kickback and knee elevation on shaded zone bands, distributions
 * per pace band, and the angle curves of a picked stride. Data is decimated on the server. */
"use strict";

const holder = document.getElementById("chart-kickback");
// Legs by shade and shape (left dark circles, right purple squares): blue and orange mean below
// and above the zone everywhere in StrideSite, so they never mean a leg.
const COLORS = {left: "#222222", right: "#7b2cbf"};
const SYMBOLS = {left: "circle", right: "square"};
const LEGEND = {orientation: "h", y: -0.3, yanchor: "top"};  // under the axis title: phones too
const config = {displayModeBar: false, responsive: true};

function bands(zones, metric, series) {
  // Shade the zone of the most common pace band of the session.
  const counts = {};
  for (const leg of ["left", "right"]) for (const b of series[leg].band) counts[b] = (counts[b] || 0) + 1;
  const band = Object.keys(counts).sort((a, b) => counts[b] - counts[a])[0];
  if (!band) return [];
  const [lo, hi] = zones[band][metric];
  return [{type: "rect", xref: "paper", x0: 0, x1: 1, y0: lo, y1: hi, fillcolor: "rgba(19,138,54,0.2)",
           line: {width: 0}, layer: "below", name: band}];
}

function perStride(id, data, field, metric, title) {
  // Good strides filled; low-quality ones (too much lost to trust) hollow, in a trace of their own.
  const traces = [];
  for (const leg of ["left", "right"]) {
    const s = data.series[leg];
    for (const low of [false, true]) {
      const keep = s.low.map((v) => v === low);
      const pick = (values) => values.filter((_, i) => keep[i]);
      traces.push({x: pick(s.t), y: pick(s[field]), customdata: pick(s.id),
        name: low ? `${leg} · low quality` : leg, mode: "markers", type: "scatter",
        marker: low ? {size: 6, color: COLORS[leg], symbol: `${SYMBOLS[leg]}-open`, opacity: 0.6}
                    : {size: 5, color: COLORS[leg], symbol: SYMBOLS[leg]},
        hovertemplate: `${leg}${low ? " · low quality" : ""}: %{y:.1f}° · stride ending at %{x:.1f} s` +
                       "<extra></extra>"});
    }
  }
  Plotly.newPlot(id, traces, {title: {text: title}, height: 360, margin: {l: 60, r: 10, t: 40, b: 90},
    legend: LEGEND,
    xaxis: {title: {text: "time in the session (s)"}}, yaxis: {title: {text: "degrees"}},
    shapes: bands(data.zones, metric, data.series)}, config);
  document.getElementById(id).on("plotly_click", (event) => pick(event.points[0].customdata));
}

async function pick(strideId) {
  const url = holder.dataset.trace.replace(/\/0\/$/, `/${strideId}/`);
  const stride = await (await fetch(url)).json();
  const t = stride.trace.thigh.map((_, i) => i / 25);
  Plotly.newPlot("chart-stride", [
    {x: t, y: stride.trace.thigh, name: "thigh", mode: "lines"},
    {x: t, y: stride.trace.shank, name: "shank", mode: "lines"},
    {x: t, y: stride.trace.thigh.map((v, i) => v - stride.trace.shank[i]), name: "knee flexion", mode: "lines"},
  ].map((trace) => ({...trace, hovertemplate: `${trace.name}: %{y:.1f}° at %{x:.2f} s<extra></extra>`})),
  {title: {text: `Thigh, shank and knee through the ${stride.leg} stride`}, height: 340, legend: LEGEND,
      margin: {l: 60, r: 10, t: 40, b: 90}, xaxis: {title: {text: "time from foot strike (s)"}},
      yaxis: {title: {text: "degrees"}}}, config);
  const q = stride.quality || {};
  const pm = (u) => (u == null ? "" : ` ± ${u.toFixed(1)}`);
  document.getElementById("picked").textContent =
    `${stride.leg} stride ending at ${stride.t_end.toFixed(1)} s: kickback ${stride.kickback_deg.toFixed(1)}` +
    `${pm(q.kickback_uncertainty_deg)}°, knee elevation ${stride.knee_elevation_deg.toFixed(1)}` +
    `${pm(q.knee_elevation_uncertainty_deg)}°` +
    (q.missing_pct ? ` · ${q.missing_pct}% of samples lost, longest gap ${q.longest_gap_ms} ms` : "") +
    (q.low ? " · low quality: left out of the figures" : "");
  document.getElementById("picked-stride").scrollIntoView({behavior: "smooth", block: "start"});
}

(async () => {
  const data = await (await fetch(holder.dataset.url)).json();
  perStride("chart-kickback", data, "kickback", "kickback", "Kickback per stride");
  perStride("chart-knee", data, "knee", "knee_elevation", "Knee elevation per stride");
  const box = [];
  for (const leg of ["left", "right"]) {
    const s = data.series[leg];
    const good = (values) => values.filter((_, i) => !s.low[i]);
    box.push({type: "box", name: `kickback ${leg}`, x: good(s.band), y: good(s.kickback),
              marker: {color: COLORS[leg]}, hovertemplate: `${leg}: %{y:.1f}°<extra></extra>`});
  }
  Plotly.newPlot("chart-bands", box, {title: {text: "Kickback by pace band (good strides)"}, height: 320,
    boxmode: "group", margin: {l: 60, r: 10, t: 40, b: 90}, legend: LEGEND, xaxis: {title: {text: "pace band"}},
    yaxis: {title: {text: "kickback (degrees)"}}}, config);
  holder.dataset.ready = "true";
})();
