/**
 * The latest value of every series, ready to be scraped: metric families by name, each
 * with its series by rendered label set. A series that has not been updated for
 * `staleAfter` of its own update intervals disappears (Prometheus then marks it stale);
 * the number of series is capped, and what the cap or a name clash turns away is
 * counted. Scrapes read it in chunks (exposition.ts), so a large store never holds the
 * event loop for long.
 */
import { metricName } from './names';
import { DROP_REASONS, type DropReason, type SampleKind, type SampleVariant } from './read-message';

export interface StoreOptions {
  /** Prefix of every metric name (`snmp_`). */
  prefix: string;
  /** Most series held; new series past it are dropped and counted. */
  maxSeries: number;
  /** A series disappears after this many of its update intervals without an update. */
  staleAfter: number;
  /** How long a series seen only once lives before its interval is known (ms). */
  firstIntervalMs?: number;
}

/** Until a series' interval is known: Prometheus's own lookback delta. */
export const FIRST_INTERVAL_MS = 5 * 60 * 1000;
/** An interval is never taken as shorter than this (ms): a burst of duplicates must not make series stale at once. */
const MIN_INTERVAL_MS = 1000;
/** Metric names remembered per field; beyond this the cache starts again. */
const NAME_CACHE_LIMIT = 10000;

/** One series: its value and when it was last updated. */
export class Series {
  constructor(
    public value: number | string,
    public seen: number,
    /** Usual time between updates (ms); 0 = seen once. */
    public interval: number,
  ) {}
}

/** One metric family: every series of one name and type. */
export interface Family {
  /** The family name (OpenMetrics); a counter's samples add `_total`. */
  name: string;
  type: SampleKind;
  /** The name each sample line starts with (`…_total` for counters). */
  sampleName: string;
  help: string;
  /** Alerts live until resolved, not until stale. */
  keep: boolean;
  series: Map<string, Series>;
}

/** Name, sample name and help of a field, as built once. */
interface Naming {
  name: string;
  sampleName: string;
  help: string;
}

export class SeriesStore {
  readonly families = new Map<string, Family>();
  /** Sample names in use, so a gauge `x_total` and a counter `x` cannot both write `x_total`. */
  private readonly sampleNames = new Map<string, Family>();
  /** Names by field, then by (variant, kind, type): a few entries per field, searched in order. */
  private readonly naming = new Map<string, Array<{ variant: SampleVariant; kind: SampleKind; smiType: string | undefined; naming: Naming | null }>>();
  private namingCount = 0;
  private seriesCount = 0;
  readonly dropped: Record<DropReason, number>;
  /** Label values cut to their maximum length. */
  cutLabels = 0;
  /** Called the first time each reason drops something (for one warning each). */
  onFirstDrop?: (reason: DropReason, detail?: string) => void;

  constructor(readonly opts: StoreOptions) {
    this.dropped = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
  }

  get size(): number {
    return this.seriesCount;
  }

  /** Counts a drop; the first of each reason is reported through onFirstDrop. */
  drop(reason: DropReason, detail?: string): void {
    if (this.dropped[reason]++ === 0) this.onFirstDrop?.(reason, detail);
  }

  private nameOf(field: string, kind: SampleKind, variant: SampleVariant, smiType: string | undefined): Naming | null {
    // hot: once per value served, so no key string is built
    let known = this.naming.get(field);
    if (known) {
      for (const k of known) if (k.variant === variant && k.kind === kind && k.smiType === smiType) return k.naming;
    }
    let n: Naming | null;
    const suffix = variant === 'rate' ? '_rate' : variant === 'delta' ? '_delta' : '';
    const name = metricName(this.opts.prefix, field + suffix);
    if (!name) n = null;
    else {
      const what = smiType ? `${field} (${smiType})` : field;
      const help = variant === 'rate' ? `${what} per second, from counter-rate`
        : variant === 'delta' ? `${what} per poll, from counter-rate`
          : kind === 'counter' ? `${what} as polled over SNMP: a raw counter, use rate()` : `${what} as polled over SNMP`;
      n = { name, sampleName: kind === 'counter' ? `${name}_total` : name, help };
    }
    if (this.namingCount >= NAME_CACHE_LIMIT) {
      this.naming.clear();
      this.namingCount = 0;
      known = undefined;
    }
    if (!known) this.naming.set(field, (known = []));
    known.push({ variant, kind, smiType, naming: n });
    this.namingCount++;
    return n;
  }

  /** The family for `naming`, created when the cap allows; undefined (counted) on a clash or at the cap. */
  private family(naming: Naming, type: SampleKind, keep: boolean): Family | undefined {
    const f = this.families.get(naming.name);
    if (f) {
      if (f.type !== type || f.keep !== keep) {
        this.drop('type-conflict', naming.name);
        return undefined;
      }
      return f;
    }
    const clash = this.sampleNames.get(naming.sampleName) ?? this.families.get(naming.sampleName);
    if (clash || (type === 'counter' && this.sampleNames.has(naming.name))) {
      this.drop('type-conflict', naming.name);
      return undefined;
    }
    if (this.seriesCount >= this.opts.maxSeries) {
      this.drop('cap');
      return undefined;
    }
    const created: Family = { name: naming.name, type, sampleName: naming.sampleName, help: naming.help, keep, series: new Map() };
    this.families.set(created.name, created);
    this.sampleNames.set(created.sampleName, created);
    return created;
  }

  /** Sets the latest value of a series (see SampleSink.sample). */
  put(field: string, kind: SampleKind, variant: SampleVariant, smiType: string | undefined, labels: string, value: number | string, now: number): void {
    const naming = this.nameOf(field, kind, variant, smiType);
    if (!naming) {
      this.drop('bad-name', field.slice(0, 80));
      return;
    }
    const f = this.family(naming, kind, false);
    if (f) this.set(f, labels, value, now);
  }

  private set(f: Family, labels: string, value: number | string, now: number): void {
    const s = f.series.get(labels);
    if (s) {
      const since = now - s.seen;
      // an interval only shrinks by half per update, so a burst of duplicate messages
      // does not make the series look fast and then stale
      if (since > 0) s.interval = Math.max(s.interval / 2, since);
      s.seen = now;
      s.value = value;
      return;
    }
    if (this.seriesCount >= this.opts.maxSeries) {
      this.drop('cap');
      return;
    }
    f.series.set(labels, new Series(value, now, 0));
    this.seriesCount++;
  }

  /** An alert of threshold-alert: firing sets its series to 1, resolved removes it. */
  alert(labels: string, firing: boolean, now: number): void {
    const naming = this.nameOf('alert_firing', 'gauge', 'raw', undefined);
    if (!naming) return;
    if (!firing) {
      const f = this.families.get(naming.name);
      if (f && f.keep && f.series.delete(labels)) {
        this.seriesCount--;
        if (f.series.size === 0) this.removeFamily(f);
      }
      return;
    }
    const f = this.family({ ...naming, help: 'alerts of threshold-alert firing now (1), by alertname, severity, device and instance' }, 'gauge', true);
    if (f) this.set(f, labels, 1, now);
  }

  /** True when a series is past its time. */
  isStale(f: Family, s: Series, now: number): boolean {
    if (f.keep) return false;
    const interval = s.interval > 0 ? Math.max(s.interval, MIN_INTERVAL_MS) : (this.opts.firstIntervalMs ?? FIRST_INTERVAL_MS) / this.opts.staleAfter;
    return now - s.seen > this.opts.staleAfter * interval;
  }

  /** Removes a series found stale while reading (the scrape does it on its way). */
  removeSeries(f: Family, labels: string): void {
    if (f.series.delete(labels)) this.seriesCount--;
  }

  removeFamily(f: Family): void {
    if (this.families.get(f.name) === f) this.families.delete(f.name);
    if (this.sampleNames.get(f.sampleName) === f) this.sampleNames.delete(f.sampleName);
  }

  /** Removes every stale series and empty family; returns how many series went. */
  sweep(now: number): number {
    let removed = 0;
    for (const f of this.families.values()) {
      for (const [labels, s] of f.series) {
        if (this.isStale(f, s, now)) {
          f.series.delete(labels);
          removed++;
        }
      }
      if (f.series.size === 0) this.removeFamily(f);
    }
    this.seriesCount -= removed;
    return removed;
  }

  /** Forgets every series (msg.reset). */
  clear(): void {
    this.families.clear();
    this.sampleNames.clear();
    this.seriesCount = 0;
  }
}
