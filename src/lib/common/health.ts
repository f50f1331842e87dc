/**
 * The pack's own health as numbers: what a feature reports about itself (polls and
 * failures, trap counters, alerts firing) in a shape any exporter can publish. A
 * feature describes its counters here; it never imports the metrics feature, and the
 * metrics feature never imports it: the Node-RED adapter gathers the reports
 * (red/health-registry.ts) and hands them to whoever asks.
 */

/** One series of a health metric. */
export interface HealthSample {
  labels: Record<string, string>;
  value: number;
}

/**
 * One health metric with its series. Names follow Prometheus conventions (snake case,
 * `_total` on counters, base units such as seconds) since that is where they end up.
 */
export interface HealthFamily {
  name: string;
  help: string;
  /** A counter only grows while its source lives; a gauge goes up and down. */
  type: 'counter' | 'gauge';
  /** Every label a sample may carry (a sample may leave some out). */
  labelNames: readonly string[];
  samples: HealthSample[];
}

/** Reports the current health of one part of the pack; called on demand, must be cheap and never throw. */
export type HealthSource = () => HealthFamily[];

/** Prefix of every health metric, apart from the data the flows export. */
export const HEALTH_PREFIX = 'snmp_fleet_';

const SNMP_PORT = 161;

/**
 * The `host` label of a device: its address, with the port when it is not SNMP's (a
 * device's identity is host and port; simulated agents share one address).
 */
export function hostLabel(host: string, port: unknown): string {
  if (typeof port !== 'number' || port === SNMP_PORT) return host;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The families with `labels` added in front of every sample's own (a node's identity on
 * what it reports).
 */
export function withLabels(families: HealthFamily[], labels: Record<string, string>): HealthFamily[] {
  const names = Object.keys(labels);
  return families.map((f) => ({
    ...f,
    labelNames: [...names, ...f.labelNames.filter((l) => !names.includes(l))],
    samples: f.samples.map((s) => ({ labels: { ...labels, ...s.labels }, value: s.value })),
  }));
}

/**
 * Merges families of the same name from several sources (several poll nodes each
 * report `snmp_fleet_polls_total`); the first description and type win, label names
 * are united.
 */
export function mergeFamilies(lists: HealthFamily[][]): HealthFamily[] {
  const byName = new Map<string, HealthFamily>();
  for (const list of lists) {
    for (const f of list) {
      const seen = byName.get(f.name);
      if (!seen) {
        byName.set(f.name, { ...f, labelNames: [...f.labelNames], samples: [...f.samples] });
        continue;
      }
      if (seen.type !== f.type) continue;
      for (const l of f.labelNames) if (!seen.labelNames.includes(l)) (seen.labelNames as string[]).push(l);
      seen.samples.push(...f.samples);
    }
  }
  return [...byName.values()];
}
