/* Trends and compare: per-session medians against speed, one trace per runner. */
"use strict";

// Plotly renders trace names and hover text as markup (<a href>, <b>…): a runner's name is data,
// never markup, so every label handed to Plotly is escaped first.
function plain(text) {
  return String(text).replace(/[&<>]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;"}[c]));
}

const runners = JSON.parse(document.getElementById("trend-data").textContent);
for (const [id, field, title] of [["trend-kickback", "kickback", "Median kickback vs speed"],
                                  ["trend-knee", "knee_elevation", "Median knee elevation vs speed"]]) {
  Plotly.newPlot(id, runners.map((r) => ({x: r.sessions.map((s) => s.speed), y: r.sessions.map((s) => s[field]),
    text: r.sessions.map((s) => plain(s.date)), name: plain(r.name), mode: "markers", marker: {size: 11}})),
    {title: {text: title}, height: 320, margin: {l: 50, r: 10, t: 40, b: 40}, xaxis: {title: {text: "speed (m/s)"}},
     yaxis: {title: {text: "degrees"}}}, {displayModeBar: false, responsive: true});
}
document.body.dataset.ready = "true";
