/**
 * snmp-metrics as a Node-RED node: its properties checked once, every message read into
 * the series store (poll and rate values, alerts), the store served at a path of
 * Node-RED's HTTP node server for Prometheus, stale series swept, drops counted and
 * warned once each, and the status. src/snmp-metrics.ts only creates it.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import { HEALTH_PREFIX, mergeFamilies, withLabels, type HealthFamily } from '../common/health';
import { bool, integer, PropertyError, text } from '../common/properties';
import { isValidPrefix } from '../metrics/names';
import { DROP_REASONS, readAlerts, readMessage, type DropReason, type SampleSink } from '../metrics/read-message';
import { serveScrape, type ScrapeResult } from '../metrics/serve';
import { SeriesStore } from '../metrics/series-store';
import { CountedWarnings } from './counted-warnings';
import { collectHealth } from './health-registry';
import { nodeLabels } from './health-sources';
import { PathInUseError, type HttpHost } from './http-route';
import type { Msg, NodeFacade } from './node-facade';
import type { NodeBehaviour } from './start-node';
import { statusThrottle, type StatusObject, type StatusThrottle } from './status';

/** The node's properties as the editor stores them. */
export interface MetricsProps {
  path?: unknown;
  prefix?: unknown;
  labelColumns?: unknown;
  staleAfter?: unknown;
  maxSeries?: unknown;
  health?: unknown;
}

export interface MetricsOptions {
  path: string;
  prefix: string;
  labelColumns: string[];
  staleAfter: number;
  maxSeries: number;
  health: boolean;
}

export const DEFAULT_PATH = '/metrics';
export const DEFAULT_PREFIX = 'snmp_';
export const DEFAULT_STALE_AFTER = 3;
export const DEFAULT_MAX_SERIES = 200000;
/** Stale series are also swept this often when nobody scrapes (ms). */
const SWEEP_MS = 10000;

/** A path Express takes literally: no parameters, wildcards or patterns. */
const LITERAL_PATH = /^\/[A-Za-z0-9/_.~%-]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Converts and checks the editor's properties once; throws a PropertyError naming the property. */
export function metricsOptions(p: MetricsProps): MetricsOptions {
  let path = text(p.path) || DEFAULT_PATH;
  if (!path.startsWith('/')) path = `/${path}`;
  if (path.length > 200 || !LITERAL_PATH.test(path)) {
    throw new PropertyError('path', 'path must be a plain URL path such as /metrics (letters, digits, / _ . ~ - only)');
  }
  const prefix = p.prefix === undefined || p.prefix === null ? DEFAULT_PREFIX : String(p.prefix).trim();
  if (!isValidPrefix(prefix)) throw new PropertyError('prefix', 'prefix must start with a letter, _ or : and hold only letters, digits, _ and :');
  const labelColumns = text(p.labelColumns).split(/[\s,]+/).filter(Boolean);
  const bad = labelColumns.find((c) => !LABEL_NAME.test(c) || c.startsWith('__'));
  if (bad) throw new PropertyError('labelColumns', `label column "${bad.slice(0, 40)}" is not a column name usable as a label`);
  if (labelColumns.length > 16) throw new PropertyError('labelColumns', 'at most 16 label columns');
  return {
    path,
    prefix,
    labelColumns: [...new Set(labelColumns)],
    staleAfter: integer('staleAfter', p.staleAfter, DEFAULT_STALE_AFTER, 1, 1000),
    maxSeries: integer('maxSeries', p.maxSeries, DEFAULT_MAX_SERIES, 1, 10_000_000),
    health: bool('health', p.health, false),
  };
}

type Send = (msgs: any) => void;
type Done = (err?: Error) => void;

export class MetricsNode implements NodeBehaviour {
  readonly store: SeriesStore;
  private readonly warnings: CountedWarnings;
  private readonly status: StatusThrottle;
  private readonly sink: SampleSink;
  private unmount: (() => void) | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Why the node cannot serve (no HTTP node server, path taken): its status and error text. */
  private failed: { status: StatusObject; error: string } | undefined;
  messages = 0;
  scrapes = 0;
  lastScrape: ScrapeResult | undefined;

  constructor(
    private readonly node: NodeFacade,
    private readonly opts: MetricsOptions,
    http: HttpHost,
    private readonly clock: () => number = Date.now,
  ) {
    this.warnings = new CountedWarnings((t) => node.warn(t));
    this.store = new SeriesStore({ prefix: opts.prefix, maxSeries: opts.maxSeries, staleAfter: opts.staleAfter });
    this.store.onFirstDrop = (reason, detail) => {
      // a payload that is no object already ends in done(err), which Catch and the log see
      if (reason !== 'bad-payload') this.warnings.note(reason, node.t(`warn.${reason}`, { max: opts.maxSeries.toLocaleString('en-US'), detail: detail ?? '' }));
    };
    const now = () => this.clock();
    this.sink = {
      sample: (field, kind, variant, smiType, labels, value) => this.store.put(field, kind, variant, smiType, labels, value, now()),
      drop: (reason, detail) => this.store.drop(reason, detail),
      cut: () => { this.store.cutLabels++; },
    };
    this.status = statusThrottle(() => this.currentStatus(), (s) => node.status(s));
    if (!http.available) {
      this.fail('no-http', { fill: 'red', shape: 'ring', text: 'snmp-metrics.status.no-http' });
      return;
    }
    try {
      this.unmount = http.get(opts.path, node.id, (req, res) => { void this.scrape(req, res); });
    } catch (err) {
      if (err instanceof PathInUseError && err.by === 'admin') this.fail('path-admin', { fill: 'red', shape: 'ring', text: node.t('status.path-in-use', { path: opts.path }) }, { path: opts.path });
      else if (err instanceof PathInUseError) this.fail('path-in-use', { fill: 'red', shape: 'ring', text: node.t('status.path-in-use', { path: opts.path }) }, { path: opts.path });
      else this.fail('no-http', { fill: 'red', shape: 'ring', text: 'snmp-metrics.status.no-http' });
      return;
    }
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweepTimer.unref?.();
    this.status.flush();
  }

  private fail(key: string, status: StatusObject, vars: Record<string, unknown> = {}): void {
    this.failed = { status, error: this.node.t(`errors.${key}`, vars) };
    this.node.error(this.failed.error);
    this.node.status(status);
  }

  /** The Node-RED input handler: values and alerts into the store; never throws. */
  input(msg: Msg, _send: Send, done: Done): void {
    if (this.failed) {
      // nobody can scrape this node: keeping series would only hold memory (the bad-configuration rule)
      done(new Error(this.failed.error));
      return;
    }
    if (msg.reset === true) {
      this.store.clear();
      this.status.request();
      done();
      return;
    }
    this.messages++;
    const now = this.clock();
    const alerts = readAlerts(msg, this.sink);
    if (alerts.length > 0) {
      for (const a of alerts) this.store.alert(a.labels, a.firing, now);
      this.status.request();
      done();
      return;
    }
    const outcome = readMessage(msg, { labelColumns: this.opts.labelColumns }, this.sink);
    this.status.request();
    if (outcome === 'not-an-object') {
      this.store.drop('bad-payload');
      const p = msg.payload;
      done(new Error(this.node.t('errors.bad-payload', { type: p === null ? 'null' : Array.isArray(p) ? 'array' : typeof p })));
      return;
    }
    if (outcome === 'no-values') this.store.drop('no-values');
    done();
  }

  /** Answers one scrape. */
  async scrape(req: IncomingMessage, res: ServerResponse): Promise<ScrapeResult> {
    const result = await serveScrape(req, res, { store: this.store, health: () => this.health(), now: () => this.clock() });
    if (!result.aborted && req.method !== 'HEAD') {
      this.scrapes++;
      this.lastScrape = result;
    }
    if (!this.closed) this.status.request();
    return result;
  }

  /** This endpoint's own counters, and the pack's health when the node asks for it. */
  health(): HealthFamily[] {
    const own = this.ownHealth();
    return this.opts.health ? mergeFamilies([own, collectHealth()]) : own;
  }

  private ownHealth(): HealthFamily[] {
    const p = `${HEALTH_PREFIX}metrics_`;
    const one = (value: number) => [{ labels: {}, value }];
    const families: HealthFamily[] = [
      { name: `${p}series`, type: 'gauge', labelNames: [], help: 'Series the snmp-metrics node holds', samples: one(this.store.size) },
      { name: `${p}series_limit`, type: 'gauge', labelNames: [], help: 'Most series the node holds (its series cap)', samples: one(this.opts.maxSeries) },
      { name: `${p}messages_total`, type: 'counter', labelNames: [], help: 'Messages the node received', samples: one(this.messages) },
      {
        name: `${p}dropped_total`, type: 'counter', labelNames: ['reason'],
        help: 'Values and messages left out on purpose, by reason (cap: the series cap was reached)',
        samples: DROP_REASONS.map((reason: DropReason) => ({ labels: { reason }, value: this.store.dropped[reason] })),
      },
      { name: `${p}label_values_cut_total`, type: 'counter', labelNames: [], help: 'Label values cut to 1024 characters', samples: one(this.store.cutLabels) },
    ];
    if (this.lastScrape) {
      families.push(
        { name: `${p}scrape_duration_seconds`, type: 'gauge', labelNames: [], help: 'How long the previous scrape took to write', samples: one(this.lastScrape.ms / 1000) },
        { name: `${p}scrape_bytes`, type: 'gauge', labelNames: [], help: 'Size of the previous scrape before compression', samples: one(this.lastScrape.bytes) },
      );
    }
    return withLabels(families, nodeLabels(this.node));
  }

  /** Runs from setInterval: an exception here would be uncaught and end the process. */
  private sweep(): void {
    if (this.closed) return;
    try {
      if (this.store.sweep(this.clock()) > 0) this.status.request();
    } catch (err) {
      this.warnings.note('sweep', this.node.t('warn.internal', { error: (err instanceof Error ? err.message : String(err)).slice(0, 200) }));
    }
  }

  private currentStatus(): StatusObject {
    if (this.failed) return this.failed.status;
    const n = this.store.size;
    const series = n.toLocaleString('en-US');
    const dropped = DROP_REASONS.reduce((sum, r) => sum + this.store.dropped[r], 0);
    if (n === 0) return { fill: 'grey', shape: 'ring', text: this.node.t('status.waiting', { path: this.opts.path }) };
    if (n >= this.opts.maxSeries) return { fill: 'yellow', shape: 'ring', text: this.node.t('status.cap', { n: series, dropped: dropped.toLocaleString('en-US') }) };
    if (dropped > 0) return { fill: 'yellow', shape: 'dot', text: this.node.t('status.dropped', { n: series, dropped: dropped.toLocaleString('en-US') }) };
    return { fill: 'green', shape: 'dot', text: this.node.t('status.series', { n: series, scrapes: this.scrapes.toLocaleString('en-US') }) };
  }

  /** Takes the route away and stops the sweep; the series go with the node. */
  async close(): Promise<void> {
    this.closed = true;
    this.status.cancel();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    this.unmount?.();
    this.unmount = undefined;
    this.warnings.report((count, warning) => this.node.t('warn.repeated', { count, warning }));
    this.store.clear();
    this.node.status({});
  }
}
