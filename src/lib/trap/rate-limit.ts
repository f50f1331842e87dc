/**
 * Per-source limits that keep a flood or a scan from owning the receiver: a cheap
 * fixed-window counter per source address, and a limiter of the rejection reports a
 * node sends down its second output.
 */

/** Bound on distinct sources tracked in one window; beyond it the rest share one counter. */
const MAX_SOURCES = 65_536;
const OVERFLOW_KEY = '*';

export type RateDecision = 'ok' | 'first-drop' | 'drop';

/**
 * At most `limit` datagrams per source per second. A fixed one-second window keeps the
 * per-datagram cost at one Map lookup; the window's map is replaced, not swept, when a
 * new second starts. Spoofed floods from many addresses share an overflow counter once
 * the map is full, so memory stays bounded.
 */
export class SourceRateLimiter {
  private window = -1;
  private counts = new Map<string, number>();

  /** `limit` 0 means no limit. */
  constructor(readonly limit: number, private readonly now: () => number = Date.now) {}

  /** 'first-drop' marks the first datagram over the limit in this window (worth one report). */
  take(source: string): RateDecision {
    if (this.limit <= 0) return 'ok';
    const w = Math.floor(this.now() / 1000);
    if (w !== this.window) {
      this.window = w;
      this.counts = new Map();
    }
    let key = source;
    let n = this.counts.get(key);
    if (n === undefined && this.counts.size >= MAX_SOURCES) {
      key = OVERFLOW_KEY;
      n = this.counts.get(key);
    }
    n = (n ?? 0) + 1;
    this.counts.set(key, n);
    if (n <= this.limit) return 'ok';
    return n === this.limit + 1 ? 'first-drop' : 'drop';
  }
}

/**
 * Rejection reports per source: at most `burst` per `windowMs`, and at most `total`
 * per window over all sources (a flood from spoofed addresses is many sources). The
 * number held back since the last report of a source travels with its next report.
 */
export class ReportLimiter {
  private window = -1;
  private counts = new Map<string, number>();
  private held = new Map<string, number>();
  private admitted = 0;

  constructor(
    private readonly burst = 10,
    private readonly windowMs = 10_000,
    private readonly total = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** undefined when the report is held back; else the count held back before it. */
  admit(source: string): number | undefined {
    const w = Math.floor(this.now() / this.windowMs);
    if (w !== this.window) {
      this.window = w;
      this.counts = new Map();
      this.admitted = 0;
      if (this.held.size >= MAX_SOURCES) this.held = new Map();
    }
    const n = this.counts.get(source) ?? (this.counts.size >= MAX_SOURCES ? this.burst : 0);
    if (n >= this.burst || this.admitted >= this.total) {
      if (this.held.size < MAX_SOURCES || this.held.has(source)) this.held.set(source, (this.held.get(source) ?? 0) + 1);
      return undefined;
    }
    this.counts.set(source, n + 1);
    this.admitted++;
    const before = this.held.get(source) ?? 0;
    if (before) this.held.delete(source);
    return before;
  }
}
