/**
 * A private Debian InfluxDB 1.x for integration tests: config with every listener on a
 * free 127.0.0.1 port, meta/data/wal in a temp dir, reporting disabled; ready once
 * /ping answers; queried over HTTP /query; halted and restarted on the same port and
 * data for outage tests. The implementation is shared with
 * `npm start` (scripts/lib/influxd.js); this module gives it types.
 */
const impl = require('../../scripts/lib/influxd.js');

export interface Influxd {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** The current process (a restart() starts a new one). */
  readonly pid: number;
  /** influxd's own output (warnings and errors only, at the configured log level). */
  output(): string;
  /** An InfluxQL statement through POST /query; rejects on a statement error. */
  query(q: string, db?: string): Promise<InfluxAnswer>;
  /** Ends the process as an outage would (SIGTERM), keeping its data and port for restart(). */
  halt(): Promise<void>;
  /** Starts the halted process again on the same port and data; resolves once /ping answers. */
  restart(): Promise<void>;
  /** Ends the process and removes its folder; idempotent. */
  stop(): Promise<void>;
}

export interface InfluxAnswer {
  results: Array<{ series?: Array<{ name?: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }>; error?: string }>;
}

export interface InfluxdOptions {
  /** Created once influxd answers. */
  database?: string;
  startTimeoutMs?: number;
}

export const INFLUXD: string = impl.INFLUXD;

/** Starts influxd; rejects with the install hint when the binary is missing. */
export function startInfluxd(options: InfluxdOptions = {}): Promise<Influxd> {
  return impl.startInfluxd(options);
}

/** Rows of an answer as objects, series tags and `_measurement` merged in. */
export function influxRows(answer: InfluxAnswer): Array<Record<string, any>> {
  return impl.influxRows(answer);
}

/** A free TCP port on 127.0.0.1. */
export function freeTcpPort(): Promise<number> {
  return impl.freeTcpPort();
}
