/* Live feed: one websocket to /ws/live/, subscribed to a squad or a runner.
 * Reconnects with backoff; every (re)connect starts with a backfill. Each stride event
 * carries its number in the runner's session (carried on across a server process change):
 * a gap (a tick lost on the way) asks for a backfill. */
"use strict";

class LiveFeed {
  constructor(kind, id, handlers) {
    this.kind = kind; this.id = id; this.handlers = handlers;
    this.seq = new Map();      // runner id -> [session, number] of the last stride seen
    this.stats = {connects: 0, backfills: 0, events: 0, gaps: 0};
    this.delay = 1000;
    this.connect();
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/live/`);
    this.socket = socket;
    socket.onopen = () => {
      this.delay = 1000;
      this.stats.connects += 1;
      socket.send(JSON.stringify({subscribe: this.kind, id: this.id}));
      this.handlers.connection?.(true);
    };
    socket.onmessage = (message) => this.receive(JSON.parse(message.data));
    socket.onclose = () => {
      this.handlers.connection?.(false);
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 8000);
    };
  }

  receive(message) {
    if (message.type === "backfill") {
      this.stats.backfills += 1;
      this.seq.clear();        // the next stride of each runner is the new baseline
      this.handlers.backfill(message.runners);
    } else if (message.type === "tick") {
      for (const event of message.events) this.event(event);
    } else if (message.type === "presence") {
      this.handlers.presence?.(message);
    } else if (message.type === "zones") {
      this.handlers.zones?.(message);
    } else if (message.type === "unsubscribed" || message.type === "error") {
      this.handlers.notice?.(message);
    }
  }

  event(event) {
    if (event.kind === "stride") {
      const [session, number] = this.seq.get(event.runner) || [];
      const expected = event.stride.session === session ? number + 1 : 1;
      if (session !== undefined && event.seq !== expected) {
        this.stats.gaps += 1;
        this.socket.send(JSON.stringify({backfill: this.kind, id: this.id}));
      }
      this.seq.set(event.runner, [event.stride.session, event.seq]);
    }
    this.stats.events += 1;
    this.handlers.event(event);
  }

  drop() { this.socket.close(); }   // for tests: a Wi-Fi drop
}

/* Keep the tablet awake where the browser allows it. */
async function keepAwake() {
  try {
    if ("wakeLock" in navigator) await navigator.wakeLock.request("screen");
  } catch (error) { /* not allowed: fine */ }
}
document.addEventListener("visibilitychange", () => { if (!document.hidden) keepAwake(); });
keepAwake();

/* Draw at most once per animation frame. */
function everyFrame(draw) {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(); });
  };
}
