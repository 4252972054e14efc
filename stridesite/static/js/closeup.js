/* Runner close-up: per-stride kickback and knee elevation on shaded zone bands, both legs,
 * and rolling thigh/shank angle traces. Events are buffered and drawn at most 4 times a
 * second with one extendTraces per figure (a bounded window), never a full redraw. */
"use strict";

const ROOT = document.getElementById("closeup");
const RUNNER = Number(ROOT.dataset.runner);
const WINDOW_STRIDES = 300;      // per leg, ~3.5 minutes
const TRACE_POINTS = 250;        // 10 s at 25 Hz per series
// Legs by shade and shape (left dark circles, right purple squares): blue and orange mean
// below and above the zone everywhere in StrideSite, so they never mean a leg.
const COLORS = {left: "#222222", right: "#7b2cbf"};
const SYMBOLS = {left: "circle", right: "square"};
const state = {zones: null, band: null, buffer: [], seen: new Set(), drawn: 0,
               range: {kickback: [Infinity, -Infinity], knee: [Infinity, -Infinity]}};

function layout(title, unit) {
  // The legend goes below the axis title, not over it (a horizontal legend sits where the title is).
  return {title: {text: title, font: {size: 18}}, margin: {l: 60, r: 10, t: 40, b: 90}, height: 340,
          xaxis: {title: {text: "time in the session (s)"}}, yaxis: {title: {text: unit}},
          legend: {orientation: "h", y: -0.42, yanchor: "top"},
          paper_bgcolor: "#fff", plot_bgcolor: "#fff", shapes: []};
}

function figure(id, title) {
  // Traces: left, right (good strides), then left and right low-quality strides, hollow.
  const traces = ["left", "right"].map((leg) => ({x: [], y: [], name: leg, mode: "markers+lines",
    line: {color: COLORS[leg], width: 1}, marker: {size: 7, color: COLORS[leg], symbol: SYMBOLS[leg]},
    hovertemplate: `${leg} · %{y:.1f}° at %{x:.1f} s<extra></extra>`}));
  for (const leg of ["left", "right"]) {
    traces.push({x: [], y: [], name: `${leg} · low quality`, mode: "markers",
                 marker: {size: 8, color: COLORS[leg], symbol: `${SYMBOLS[leg]}-open`, opacity: 0.6},
                 hovertemplate: `${leg} · low quality · %{y:.1f}° at %{x:.1f} s<extra></extra>`});
  }
  Plotly.newPlot(id, traces, layout(title, "degrees"), {displayModeBar: false, responsive: true});
}

function anglesFigure() {
  const names = ["left thigh", "left shank", "right thigh", "right shank"];
  const traces = names.map((name, i) => ({x: [], y: [], name, mode: "lines",
    line: {color: i < 2 ? COLORS.left : COLORS.right, dash: i % 2 ? "dot" : "solid", width: 2}}));
  Plotly.newPlot("angles", traces, layout("Thigh and shank angles", "degrees"),
                 {displayModeBar: false, responsive: true});
}

function shadeZones(band, widened) {
  if (!state.zones || (band === state.band && !widened)) return;
  state.band = band;
  document.getElementById("band").textContent = band;
  const edit = document.getElementById("edit-zones");
  if (edit) edit.search = `?band=${band}`;
  for (const [id, metric] of [["kickback", "kickback"], ["knee", "knee_elevation"]]) {
    const [lo, hi] = state.zones[band][metric];
    const [min, max] = state.range[id];
    Plotly.relayout(id, {
      shapes: [{type: "rect", xref: "paper", x0: 0, x1: 1, y0: lo, y1: hi,
                fillcolor: "rgba(19,138,54,0.22)", line: {width: 0}, layer: "below"}],
      "yaxis.range": [Math.min(lo, min) - 5, Math.max(hi, max) + 5],   // the band always in view
    });
  }
}

function addStride(stride) {
  const key = `${stride.leg}${stride.t_start}`;
  if (state.seen.has(key)) return;
  state.seen.add(key);
  state.buffer.push(stride);
  schedule();
}

function flush() {
  const strides = state.buffer.splice(0);
  if (!strides.length) return;
  const groups = [[], [], [], []];  // left, right, left low-quality, right low-quality
  for (const s of strides) groups[(s.leg === "left" ? 0 : 1) + (s.quality?.low ? 2 : 0)].push(s);
  for (const [id, field] of [["kickback", "kickback_deg"], ["knee", "knee_elevation_deg"]]) {
    Plotly.extendTraces(id, {x: groups.map((g) => g.map((s) => s.t_end)), y: groups.map((g) => g.map((s) => s[field]))},
                        [0, 1, 2, 3], WINDOW_STRIDES);
  }
  const x = [[], [], [], []], y = [[], [], [], []];
  for (const s of strides) {
    const base = s.leg === "left" ? 0 : 2;
    s.trace.thigh.forEach((v, i) => { x[base].push(s.t_start + i / 25); y[base].push(v); });
    s.trace.shank.forEach((v, i) => { x[base + 1].push(s.t_start + i / 25); y[base + 1].push(v); });
  }
  Plotly.extendTraces("angles", {x, y}, [0, 1, 2, 3], TRACE_POINTS);
  let widened = false;
  for (const [id, field] of [["kickback", "kickback_deg"], ["knee", "knee_elevation_deg"]]) {
    const values = strides.map((s) => s[field]);
    const [min, max] = state.range[id];
    const next = [Math.min(min, ...values), Math.max(max, ...values)];
    if (next[0] < min || next[1] > max) { state.range[id] = next; widened = true; }
  }
  const last = strides[strides.length - 1];
  shadeZones(last.pace_band, widened);
  document.getElementById("last").textContent =
    (last.quality?.low ? "low quality (samples lost) · " : "") +
    `${last.leg}: kickback ${last.kickback_deg.toFixed(1)}° (${last.zone.kickback}), ` +
    `knee elevation ${last.knee_elevation_deg.toFixed(1)}° (${last.zone.knee_elevation}), ` +
    `${Math.round(last.cadence_spm)} spm, ${last.speed_mps.toFixed(1)} m/s`;
  state.drawn += strides.length;
  ROOT.dataset.drawn = String(state.drawn);
}

let timer = null;
function schedule() {
  if (timer) return;
  timer = setTimeout(() => { timer = null; requestAnimationFrame(flush); }, 250);
}

figure("kickback", "Kickback per stride");
figure("knee", "Knee elevation per stride");
anglesFigure();
const feed = new LiveFeed("runner", RUNNER, {
  backfill: (runners) => {
    const me = runners[0];
    if (!me) return;
    state.zones = me.zones;
    document.getElementById("status").textContent = me.status;
    me.strides.forEach(addStride);
  },
  event: (event) => {
    if (event.kind === "stride") addStride(event.stride);
    else document.getElementById("status").textContent = event.status;
  },
  zones: (message) => {   // a coach changed the zones: redraw the band at once
    state.zones = message.zones;
    if (state.band) shadeZones(state.band, true);
  },
  connection: (up) => { document.getElementById("connection").dataset.up = up; },
});
window.stridesiteLive = {feed, state};
