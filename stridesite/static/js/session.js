/* Session page: per-stride kickback and knee elevation on shaded zone bands, distributions
 * per pace band, and the angle curves of a picked stride. Data is decimated on the server. */
"use strict";

const holder = document.getElementById("chart-kickback");
const COLORS = {left: "#1f3fbf", right: "#c2410c"};
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
  const traces = ["left", "right"].map((leg) => ({
    x: data.series[leg].t, y: data.series[leg][field], customdata: data.series[leg].id, name: leg,
    mode: "markers", type: "scattergl", marker: {size: 5, color: COLORS[leg]}}));
  Plotly.newPlot(id, traces, {title, height: 320, margin: {l: 50, r: 10, t: 40, b: 40},
    xaxis: {title: "time (s)"}, yaxis: {title: "degrees"}, shapes: bands(data.zones, metric, data.series)}, config);
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
  ], {height: 300, margin: {l: 50, r: 10, t: 20, b: 40}, xaxis: {title: "s from IC"}, yaxis: {title: "degrees"}}, config);
  document.getElementById("picked").textContent =
    `${stride.leg} at ${stride.t_start.toFixed(2)} s: kickback ${stride.kickback_deg.toFixed(1)}°, ` +
    `knee elevation ${stride.knee_elevation_deg.toFixed(1)}°`;
}

(async () => {
  const data = await (await fetch(holder.dataset.url)).json();
  perStride("chart-kickback", data, "kickback", "kickback", "Kickback per stride");
  perStride("chart-knee", data, "knee", "knee_elevation", "Knee elevation per stride");
  const box = [];
  for (const leg of ["left", "right"]) {
    box.push({type: "box", name: `kickback ${leg}`, x: data.series[leg].band, y: data.series[leg].kickback,
              marker: {color: COLORS[leg]}});
  }
  Plotly.newPlot("chart-bands", box, {height: 320, boxmode: "group", margin: {l: 50, r: 10, t: 20, b: 40},
    yaxis: {title: "kickback (degrees)"}}, config);
  holder.dataset.ready = "true";
})();
