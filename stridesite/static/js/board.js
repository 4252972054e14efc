/* Squad live board: one tile per runner, last stride against that runner's zones. */
"use strict";

const BOARD = document.getElementById("board");
const SQUAD = Number(BOARD.dataset.squad);
const TRAIL = 10;
const SCALES = {kickback: [40, 160], knee_elevation: [0, 80]};
const runners = new Map();   // id -> {name, status, zones, strides[], tile, dirty}
const dirty = new Set();

function pct(metric, value) {
  const [lo, hi] = SCALES[metric];
  return Math.max(0, Math.min(100, 100 * (value - lo) / (hi - lo)));
}

function tileFor(runner) {
  const tile = document.createElement("a");
  tile.className = "tile";
  tile.href = `/live/runner/${runner.id}/`;
  tile.dataset.runner = runner.id;
  tile.innerHTML = `
    <div class="tile-head"><span class="name"></span><span class="status"></span></div>
    <div class="tile-meta"><span class="cadence"></span><span class="band"></span><span class="sym"></span></div>
    ${["kickback", "knee_elevation"].map((metric) => `
      <div class="metric" data-metric="${metric}">
        <div class="metric-label">${metric === "kickback" ? "Kickback" : "Knee elevation"}
          <span class="value"></span><span class="zone-word"></span></div>
        <div class="scale"><div class="zone"></div><div class="trail"></div><div class="marker"></div></div>
      </div>`).join("")}`;
  BOARD.appendChild(tile);
  return tile;
}

function backfill(list) {
  const seen = new Set();
  for (const data of list) {
    seen.add(data.runner);
    let runner = runners.get(data.runner);
    if (!runner) {
      runner = {id: data.runner, strides: []};
      runners.set(data.runner, runner);
      runner.tile = tileFor(runner);
    }
    Object.assign(runner, {name: data.name, status: data.status, zones: data.zones,
                           strides: data.strides.slice(-2 * TRAIL)});
    dirty.add(runner.id);
  }
  document.getElementById("empty").hidden = runners.size > 0;
  BOARD.classList.toggle("dense", runners.size > 12);   // up to 30 tiles on one tablet screen
  redraw();
}

function onEvent(event) {
  const runner = runners.get(event.runner);
  if (!runner) return;
  if (event.kind === "stride") {
    const key = `${event.stride.leg}${event.stride.t_start}`;
    if (!runner.strides.some((s) => `${s.leg}${s.t_start}` === key)) {
      runner.strides.push(event.stride);
      runner.strides = runner.strides.slice(-2 * TRAIL);
    }
    runner.status = "streaming";
  } else if (event.kind === "status") {
    runner.status = event.status;
  }
  dirty.add(runner.id);
  redraw();
}

function draw() {
  for (const id of dirty) {
    const runner = runners.get(id);
    const tile = runner.tile;
    const last = runner.strides[runner.strides.length - 1];
    tile.querySelector(".name").textContent = runner.name;
    const status = tile.querySelector(".status");
    status.textContent = runner.status;
    status.dataset.status = runner.status;
    tile.querySelector(".cadence").textContent = last ? `${Math.round(last.cadence_spm)} spm` : "— spm";
    tile.querySelector(".band").textContent = last ? last.pace_band : "";
    const sym = last?.symmetry_pct?.kickback;
    tile.querySelector(".sym").textContent = sym == null ? "L/R —" : `L/R ${sym > 0 ? "+" : ""}${sym.toFixed(1)}%`;
    tile.querySelector(".sym").classList.toggle("warn", sym != null && Math.abs(sym) > 5);
    for (const metric of ["kickback", "knee_elevation"]) {
      const box = tile.querySelector(`[data-metric="${metric}"]`);
      if (!last) { box.querySelector(".value").textContent = "—"; continue; }
      const [lo, hi] = runner.zones[last.pace_band][metric];
      const zoneEl = box.querySelector(".zone");
      zoneEl.style.left = `${pct(metric, lo)}%`;
      zoneEl.style.width = `${pct(metric, hi) - pct(metric, lo)}%`;
      const value = last[`${metric}_deg`];
      const word = last.zone[metric];
      const low = Boolean(last.quality?.low);  // too much lost to trust: faded, hollow, "≈"
      box.dataset.zone = word;
      box.dataset.quality = low ? "low" : "good";
      box.title = low ? "Low quality: samples were lost in transmission around this stride" : "";
      box.querySelector(".value").textContent =
        `${low ? "≈" : ""}${Math.round(value)}° ${last.leg === "left" ? "L" : "R"}`;
      box.querySelector(".zone-word").textContent = low ? `${word}?` : word;
      box.querySelector(".marker").style.left = `${pct(metric, value)}%`;
      box.querySelector(".trail").innerHTML = runner.strides.slice(-TRAIL).map((s) =>
        `<i class="dot ${s.zone[metric]}${s.quality?.low ? " low" : ""}" ` +
        `style="left:${pct(metric, s[`${metric}_deg`])}%"></i>`).join("");
    }
    tile.dataset.updated = String(Date.now());
  }
  dirty.clear();
}

const redraw = everyFrame(draw);
const feed = new LiveFeed("squad", SQUAD, {
  backfill, event: onEvent,
  connection: (up) => { document.getElementById("connection").dataset.up = up; },
});
window.stridesiteLive = {feed, runners};
