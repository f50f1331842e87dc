/**
 * The process-wide register of the pack's health: poll nodes, trap listeners and
 * threshold-alert nodes add a source when they start and take it away when they close;
 * snmp-metrics reads them all at each scrape. Features stay apart: each reports in
 * common/health.ts terms and none imports the metrics feature.
 */
import { mergeFamilies, type HealthFamily, type HealthSource } from '../common/health';

/** Sources by key; several holders of one key (trap-in nodes sharing a listener) report once. */
const sources = new Map<string, Map<number, HealthSource>>();
let nextToken = 1;

/**
 * Adds a health source under `key` (a node id, or a shared listener's address); returns
 * the function that removes it again.
 */
export function registerHealth(key: string, source: HealthSource): () => void {
  const token = nextToken++;
  let holders = sources.get(key);
  if (!holders) sources.set(key, (holders = new Map()));
  holders.set(token, source);
  return () => {
    const h = sources.get(key);
    if (!h) return;
    h.delete(token);
    if (h.size === 0) sources.delete(key);
  };
}

/** Every registered source's families, merged by name. A source that throws is left out. */
export function collectHealth(): HealthFamily[] {
  const lists: HealthFamily[][] = [];
  for (const holders of sources.values()) {
    const first = holders.values().next().value;
    if (!first) continue;
    try {
      lists.push(first());
    } catch {
      // health must never fail a scrape; the source's own node reports its trouble
    }
  }
  return mergeFamilies(lists);
}

/** How many keys report (tests). */
export function healthSourceCount(): number {
  return sources.size;
}
