/* Trends and compare: per-session medians over the weeks (each session labelled by its pace) and
 * against speed, one trace per runner. */
"use strict";

// Plotly renders trace names and hover text as markup (<a href>, <b>…): a runner's name is data,
// never markup, so every label handed to Plotly is escaped first.
function plain(text) {
  return String(text).replace(/[&<>]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;"}[c]));
}

const runners = JSON.parse(document.getElementById("trend-data").textContent);
const config = {displayModeBar: false, responsive: true};
const layout = (title, x, y) => ({title: {text: title}, height: 340, margin: {l: 55, r: 10, t: 40, b: 90},
  xaxis: {title: {text: x}}, yaxis: {title: {text: y}}, legend: {orientation: "h", y: -0.3, yanchor: "top"}});
const METRICS = [["kickback", "kickback", "Median kickback"], ["knee", "knee_elevation", "Median knee elevation"]];

for (const [id, field, title] of METRICS) {
  // Over time: oldest first, a line per runner, each point labelled with the session's pace band.
  Plotly.newPlot(`trend-${id}-weeks`, runners.map((r) => {
    const sessions = [...r.sessions].reverse();
    return {x: sessions.map((s) => s.date), y: sessions.map((s) => s[field]), name: plain(r.name),
      text: sessions.map((s) => plain(s.band)), mode: "lines+markers+text", textposition: "top center",
      textfont: {size: 10}, marker: {size: 9},
      customdata: sessions.map((s) => [plain(s.source), s.speed]),
      hovertemplate: `${plain(r.name)} · %{x}: %{y:.1f}° · %{text} pace (%{customdata[1]} m/s) · ` +
                     "%{customdata[0]}<extra></extra>"};
  }), {...layout(`${title} over the weeks`, "date", "degrees"), xaxis: {title: {text: "date"}, type: "date"}}, config);
  // Against speed: kickback should rise with it.
  Plotly.newPlot(`trend-${id}`, runners.map((r) => ({x: r.sessions.map((s) => s.speed), y: r.sessions.map((s) => s[field]),
    text: r.sessions.map((s) => plain(s.date)), name: plain(r.name), mode: "markers", marker: {size: 11},
    hovertemplate: `${plain(r.name)} · %{text}: %{y:.1f}° at %{x:.2f} m/s<extra></extra>`})),
    layout(`${title} vs speed`, "speed (m/s)", "degrees"), config);
}
document.body.dataset.ready = "true";
