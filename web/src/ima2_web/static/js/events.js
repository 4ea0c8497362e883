// One shared EventSource on /api/events for every async job of this page.
//
// - remembers the last event id and reconnects with it (?lastEventId=, the browser also sends
//   the Last-Event-ID header on its own automatic reconnects);
// - dispatches each event by data.jobId (falling back to data.requestId);
// - asks listeners to reconcile (GET /api/inflight) on `replay-gap` and after any reconnect,
//   because events may have been missed while the stream was down.

export const JOB_EVENTS = ["phase", "partial", "image", "done", "error", "submitted", "progress", "planning"];

const MIN_RETRY_MS = 1000;
const MAX_RETRY_MS = 15000;

export class EventChannel {
  constructor(url = "/api/events") {
    this.url = url;
    this.lastEventId = null;
    this.source = null;
    this.state = "idle";
    this.retryMs = MIN_RETRY_MS;
    this.retryTimer = null;
    this.everOpened = false;
    this.jobHandlers = new Map();
    this.anyHandlers = new Set();
    this.reconcileHandlers = new Set();
    this.stateHandlers = new Set();
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.source) this.source.close();
    if (typeof EventSource === "undefined") {
      this.#setState("unsupported");
      return;
    }
    const url = this.lastEventId != null
      ? `${this.url}?lastEventId=${encodeURIComponent(this.lastEventId)}`
      : this.url;
    const source = new EventSource(url);
    this.source = source;
    this.#setState(this.everOpened ? "reconnecting" : "connecting");

    source.onopen = () => {
      if (source !== this.source) return;
      this.retryMs = MIN_RETRY_MS;
      const reason = this.everOpened ? "reconnect" : "open";
      this.everOpened = true;
      this.#setState("open");
      // Events published while the stream was not open are lost (or, on reconnect, possibly
      // replayed without image payloads): always resynchronise from GET /api/inflight.
      this.#reconcile(reason, null);
    };
    source.onerror = (ev) => {
      // A job event *named* "error" is also delivered to onerror: it is a MessageEvent with
      // data, whereas a connection failure is a plain Event. Only the latter is a stream error.
      if (source !== this.source || ev instanceof MessageEvent) return;
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. 503 SSE_CAPACITY or a non-SSE reply): retry ourselves.
        this.#setState("closed");
        this.#scheduleRetry();
      } else {
        this.#setState("reconnecting");
      }
    };
    for (const name of JOB_EVENTS) {
      source.addEventListener(name, (ev) => this.#onEvent(name, ev));
    }
    source.addEventListener("message", (ev) => this.#onEvent("message", ev));
    source.addEventListener("replay-gap", (ev) => {
      let data = null;
      try {
        data = JSON.parse(ev.data);
      } catch {
        data = null;
      }
      this.#reconcile("replay-gap", data);
    });
  }

  close() {
    clearTimeout(this.retryTimer);
    if (this.source) this.source.close();
    this.source = null;
    this.#setState("idle");
  }

  /** Follow events of one job. Returns an unsubscribe function. */
  subscribe(jobId, handler) {
    let set = this.jobHandlers.get(jobId);
    if (!set) {
      set = new Set();
      this.jobHandlers.set(jobId, set);
    }
    set.add(handler);
    return () => {
      set.delete(handler);
      if (!set.size) this.jobHandlers.delete(jobId);
    };
  }

  /** handler(name, data) for every job event. */
  onAny(handler) {
    this.anyHandlers.add(handler);
    return () => this.anyHandlers.delete(handler);
  }

  /** handler(reason, data) when the client must reconcile with GET /api/inflight. */
  onReconcile(handler) {
    this.reconcileHandlers.add(handler);
    return () => this.reconcileHandlers.delete(handler);
  }

  /** handler(state): idle | connecting | open | reconnecting | closed | unsupported. */
  onState(handler) {
    this.stateHandlers.add(handler);
    handler(this.state);
    return () => this.stateHandlers.delete(handler);
  }

  #onEvent(name, ev) {
    if (!(ev instanceof MessageEvent)) return; // connection-level "error" Event, not a job event
    if (ev.lastEventId) this.lastEventId = ev.lastEventId;
    let data;
    try {
      data = JSON.parse(ev.data);
    } catch {
      return;
    }
    if (!data || typeof data !== "object") return;
    const jobId = data.jobId ?? data.requestId;
    if (jobId != null) {
      const handlers = this.jobHandlers.get(String(jobId));
      if (handlers) for (const h of [...handlers]) safeCall(h, name, data);
    }
    for (const h of [...this.anyHandlers]) safeCall(h, name, data);
  }

  #reconcile(reason, data) {
    for (const h of [...this.reconcileHandlers]) safeCall(h, reason, data);
  }

  #scheduleRetry() {
    clearTimeout(this.retryTimer);
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => this.connect(), wait);
  }

  #setState(state) {
    if (state === this.state) return;
    this.state = state;
    for (const h of [...this.stateHandlers]) safeCall(h, state);
  }
}

function safeCall(fn, ...args) {
  try {
    fn(...args);
  } catch (err) {
    console.error("ima2 event handler failed", err);
  }
}
