/* Squad live board: one tile per runner, each leg's last stride against that runner's zones,
 * and a steady flag when most of a leg's recent strides are out of zone. */
"use strict";

const BOARD = document.getElementById("board");
const SQUAD = Number(BOARD.dataset.squad);
const METRICS = {kickback: "Kickback", knee_elevation: "Knee elevation"};
const LEGS = {left: "L", right: "R"};
const TRAIL = 10;          // strides per leg drawn on the bar
const FLAG_OF = 6;         // a leg is flagged when FLAG_ON of its last FLAG_OF good strides are
const FLAG_ON = 4;         // out of zone on one side, and cleared when FLAG_OFF or fewer are:
const FLAG_OFF = 2;        // one odd stride neither raises nor clears it
const STALE_S = 5;         // a last stride older than this is greyed out
const SILENT_S = 10;       // … and a runner still said to be streaming is shown as "no data"
const STATION_SILENT_S = 4;  // a station not heard from this long is offline (its server may have died)
const SCALES = {kickback: [40, 160], knee_elevation: [0, 80]};
const EDGE_PCT = 12;  // a zone label this close to an end of the scale (in % of it) goes inside
const runners = new Map();   // id -> {name, status, zones, strides[], lastAt, flags, band, station, stationAt, tile}
const dirty = new Set();

function pct(metric, value) {
  const [lo, hi] = SCALES[metric];
  return Math.max(0, Math.min(100, 100 * (value - lo) / (hi - lo)));
}

/* A stride against the runner's zones as they stand now (a coach may just have changed them), in
 * the pace band the tile shows: the words, dots and flags always agree with the band drawn. */
function zoneOf(runner, stride, metric) {
  const [lo, hi] = runner.zones[runner.band || stride.pace_band][metric];
  const value = stride[`${metric}_deg`];
  return value < lo ? "below" : value > hi ? "above" : "in";
}

function tileFor(runner) {
  const tile = document.createElement("a");
  tile.className = "tile";
  tile.href = `/live/runner/${runner.id}/`;
  tile.dataset.runner = runner.id;
  tile.innerHTML = `
    <div class="tile-head"><span class="name"></span><span class="status"></span></div>
    <div class="flag" aria-live="polite"></div>
    <div class="tile-meta"><span class="cadence"></span><span class="band"></span><span class="sym"></span>
      <span class="age"></span><span class="via"></span></div>
    ${Object.entries(METRICS).map(([metric, label]) => `
      <div class="metric" data-metric="${metric}">
        <div class="metric-label">${label}</div>
        <div class="legs">${Object.entries(LEGS).map(([leg, letter]) => `
          <span class="leg" data-leg="${leg}"><span class="leg-name">${letter}</span>
            <span class="value"></span><span class="zone-word"></span></span>`).join("")}</div>
        <div class="scale"><div class="zone"><span class="lo"></span><span class="hi"></span></div>
          <div class="trail"></div><div class="marker" data-leg="left"></div>
          <div class="marker" data-leg="right"></div></div>
      </div>`).join("")}`;
  BOARD.appendChild(tile);
  return tile;
}

function backfill(list) {
  for (const data of list) {
    let runner = runners.get(data.runner);
    if (!runner) {
      runner = {id: data.runner, strides: [], flags: {}, band: null};
      runners.set(data.runner, runner);
      runner.tile = tileFor(runner);
    }
    Object.assign(runner, {name: data.name, status: data.status, zones: data.zones,
                           strides: data.strides.slice(-4 * TRAIL), flags: {}, band: null,
                           lastAt: data.strides.length && data.age_s != null ? Date.now() - 1000 * data.age_s : null,
                           station: data.station,
                           stationAt: data.station && data.status !== "station offline" ? Date.now() : null});
    for (const stride of runner.strides) settle(runner, stride);
    dirty.add(runner.id);
  }
  const empty = document.getElementById("empty");
  empty.textContent = "No runners in this squad yet.";
  empty.hidden = runners.size > 0;
  sortTiles();
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
      runner.strides = runner.strides.slice(-4 * TRAIL);
      settle(runner, event.stride);
    }
    runner.status = "streaming";
    runner.lastAt = Date.now();
  } else if (event.kind === "status") {
    runner.status = event.status;
  }
  dirty.add(runner.id);
  sortTiles();
  redraw();
}

/* A connected station names the runners that come through it, every second, on every server. */
function onPresence(message) {
  for (const id of message.runners) {
    const runner = runners.get(id);
    if (!runner) continue;
    if (runner.station?.id !== message.station || runner.station?.name !== message.name) dirty.add(id);
    runner.station = {id: message.station, name: message.name};
    runner.stationAt = Date.now();
  }
  if (dirty.size) redraw();
}

function onZones(message) {
  const runner = runners.get(message.runner);
  if (!runner) return;
  runner.zones = message.zones;
  runner.flags = {};
  for (const stride of runner.strides) settle(runner, stride);
  dirty.add(runner.id);
  sortTiles();
  redraw();
}

/* Update the shown pace band and the leg's flags, with hysteresis, after a new stride. */
function settle(runner, stride) {
  const recent = runner.strides.slice(-FLAG_OF).map((s) => s.pace_band);
  const votes = recent.filter((band) => band === stride.pace_band).length;
  if (runner.band === null || votes >= FLAG_ON) runner.band = stride.pace_band;
  const legStrides = runner.strides.filter((s) => s.leg === stride.leg && !s.quality?.low).slice(-FLAG_OF);
  for (const metric of Object.keys(METRICS)) {
    const key = `${stride.leg}:${metric}`;
    const count = (side) => legStrides.filter((s) => zoneOf(runner, s, metric) === side).length;
    const current = runner.flags[key];
    if (current && count(current) <= FLAG_OFF) delete runner.flags[key];
    if (!runner.flags[key]) {
      for (const side of ["above", "below"]) if (count(side) >= FLAG_ON) runner.flags[key] = side;
    }
  }
}

function flagText(runner) {
  const parts = [];
  for (const [metric, label] of Object.entries(METRICS)) {
    for (const side of ["above", "below"]) {
      const legs = Object.keys(LEGS).filter((leg) => runner.flags[`${leg}:${metric}`] === side);
      if (legs.length) {
        parts.push(`${side === "above" ? "▲" : "▼"} ${label} ${side === "above" ? "high" : "low"} ` +
                   legs.map((leg) => LEGS[leg]).join("+"));
      }
    }
  }
  return parts.join(" · ");
}

function flagged(runner) {
  const sides = new Set(Object.values(runner.flags));
  return sides.size === 0 ? "" : sides.size === 1 ? [...sides][0] : "both";
}

/* Flagged runners first when the coach asks for it; otherwise the squad's order. */
function sortTiles() {
  const first = document.getElementById("offenders-first")?.checked;
  const order = [...runners.values()].sort((a, b) =>
    (first ? Number(!flagged(a)) - Number(!flagged(b)) : 0) || a.name.localeCompare(b.name));
  order.forEach((runner, i) => { runner.tile.style.order = String(i); });
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
    tile.dataset.flag = flagged(runner);
    tile.querySelector(".flag").textContent = flagText(runner);
    tile.querySelector(".cadence").textContent = last ? `${Math.round(last.cadence_spm)} spm` : "— spm";
    tile.querySelector(".band").textContent = runner.band || "";
    tile.querySelector(".via").textContent = runner.station?.name ? `via ${runner.station.name}` : "";
    tile.dataset.station = runner.station?.id ?? "";
    const sym = last?.symmetry_pct?.kickback;
    tile.querySelector(".sym").textContent = sym == null ? "L/R —" : `L/R ${sym > 0 ? "+" : ""}${sym.toFixed(1)}%`;
    tile.querySelector(".sym").classList.toggle("warn", sym != null && Math.abs(sym) > 5);
    for (const metric of Object.keys(METRICS)) drawMetric(runner, tile.querySelector(`[data-metric="${metric}"]`), metric);
    tile.dataset.updated = String(Date.now());
  }
  dirty.clear();
  ageTiles();
}

/* The zone's bounds under the scale, each outside its end of the band; near an end of the scale
 * a label goes inside the band so it stays on the tile, and a narrow band there gets one label. */
function labelZone(zoneEl, metric, lo, hi) {
  const loInside = pct(metric, lo) < EDGE_PCT, hiInside = pct(metric, hi) > 100 - EDGE_PCT;
  const joint = (loInside || hiInside) && pct(metric, hi) - pct(metric, lo) < EDGE_PCT;
  const both = `${Math.round(lo)}–${Math.round(hi)}`;
  zoneEl.classList.toggle("lo-inside", loInside);
  zoneEl.classList.toggle("hi-inside", hiInside);
  zoneEl.querySelector(".lo").textContent = joint && loInside ? both : joint ? "" : Math.round(lo);
  zoneEl.querySelector(".hi").textContent = joint && loInside ? "" : joint ? both : Math.round(hi);
}

function drawMetric(runner, box, metric) {
  const last = runner.strides[runner.strides.length - 1];
  const [lo, hi] = runner.zones[runner.band || last?.pace_band || "steady"][metric];
  const zoneEl = box.querySelector(".zone");
  zoneEl.style.left = `${pct(metric, lo)}%`;
  zoneEl.style.width = `${pct(metric, hi) - pct(metric, lo)}%`;
  zoneEl.dataset.low = String(lo);
  zoneEl.dataset.high = String(hi);
  labelZone(zoneEl, metric, lo, hi);
  for (const leg of Object.keys(LEGS)) {
    const stride = runner.strides.filter((s) => s.leg === leg).pop();
    const slot = box.querySelector(`.leg[data-leg="${leg}"]`);
    const marker = box.querySelector(`.marker[data-leg="${leg}"]`);
    marker.hidden = !stride;   // no stride yet: no marker pretending to be a value
    if (!stride) {
      slot.querySelector(".value").textContent = "—";
      slot.querySelector(".zone-word").textContent = "";
      delete slot.dataset.zone;
      continue;
    }
    const value = stride[`${metric}_deg`];
    const word = zoneOf(runner, stride, metric);
    const low = Boolean(stride.quality?.low);  // too much lost to trust: faded, hollow, "≈"
    slot.dataset.zone = word;
    slot.dataset.quality = low ? "low" : "good";
    slot.dataset.flag = runner.flags[`${leg}:${metric}`] || "";
    slot.title = low ? "Low quality: samples were lost in transmission around this stride" : "";
    slot.querySelector(".value").textContent = `${low ? "≈" : ""}${Math.round(value)}°`;
    slot.querySelector(".zone-word").textContent = low ? `${word}?` : word;
    marker.style.left = `${pct(metric, value)}%`;
    marker.dataset.quality = slot.dataset.quality;
  }
  box.dataset.zone = box.querySelector(".leg[data-zone]")?.dataset.zone || "";
  box.querySelector(".trail").innerHTML = Object.keys(LEGS).flatMap((leg) =>
    runner.strides.filter((s) => s.leg === leg).slice(-TRAIL).map((s) =>
      `<i class="dot ${leg} ${zoneOf(runner, s, metric)}${s.quality?.low ? " low" : ""}" ` +
      `style="left:${pct(metric, s[`${metric}_deg`])}%"></i>`)).join("");
}

/* The age of each runner's last stride; values older than STALE_S (or from a runner whose
 * leggings or station went away) are greyed out. */
function ageTiles() {
  const now = Date.now();
  for (const runner of runners.values()) {
    const age = runner.lastAt == null ? null : Math.max(0, Math.round((now - runner.lastAt) / 1000));
    runner.tile.querySelector(".age").textContent = age == null ? "no stride yet" : `last stride ${age} s ago`;
    // The station stopped saying it is connected (its server process died, or its link did);
    // or "streaming" with nothing for a while.
    const away = Boolean(runner.station) && ["streaming", "leggings disconnected"].includes(runner.status) &&
      (runner.stationAt == null || now - runner.stationAt > 1000 * STATION_SILENT_S);
    const silent = runner.status === "streaming" && (age == null || age > SILENT_S);
    const shown = away ? "station offline" : silent ? "no data" : runner.status;
    runner.tile.dataset.stale = String(age == null || age > STALE_S || shown !== "streaming");
    const status = runner.tile.querySelector(".status");
    status.textContent = shown;
    status.dataset.status = shown;
  }
}

const redraw = everyFrame(draw);
setInterval(ageTiles, 1000);
document.getElementById("offenders-first")?.addEventListener("change", sortTiles);
const feed = new LiveFeed("squad", SQUAD, {
  backfill, event: onEvent, zones: onZones, presence: onPresence,
  connection: (up) => { document.getElementById("connection").dataset.up = up; },
});
window.stridesiteLive = {feed, runners};
