/**
 * The health numbers of trap-in's shared listener and of threshold-alert, in
 * common/health.ts terms: the conversions live here in the adapter, beside the nodes
 * that register them, so trap/ and alert/ need not know how health is published.
 * (poll/stats.ts reports the poll nodes' own.)
 */
import { HEALTH_PREFIX, type HealthFamily } from '../common/health';
import type { TrapStats } from '../trap/listener';
import type { NodeFacade } from './node-facade';

/**
 * The labels of a node's health: `node`, its name (else its id), for people, and
 * `node_id`, so two nodes of the same name stay two series.
 */
export function nodeLabels(node: Pick<NodeFacade, 'id' | 'name'>): { node: string; node_id: string } {
  return { node: node.name ? node.name : node.id, node_id: node.id };
}

/** Counters of one trap listener (shared by every trap-in node on its address and port). */
export function trapHealth(listener: string, stats: TrapStats): HealthFamily[] {
  const p = HEALTH_PREFIX;
  const family = (name: string, help: string, value: number): HealthFamily => ({
    name: `${p}${name}`, type: 'counter', labelNames: ['listener'], help, samples: [{ labels: { listener }, value }],
  });
  return [
    family('trap_received_total', 'Datagrams received by the trap listener (accepted + rejected + malformed + rate-limited + discovery)', stats.received),
    family('trap_accepted_total', 'Traps and informs accepted (right community or v3 user, from an allowed source)', stats.accepted),
    family('trap_rejected_total', 'Datagrams rejected: unknown community or user, bad digest, replay, source outside the allow-list', stats.rejected),
    family('trap_malformed_total', 'Datagrams that could not be decoded, dropped', stats.malformed),
    family('trap_rate_limited_total', 'Datagrams dropped by the per-source rate limit', stats.rateLimited),
    family('trap_informs_total', 'Informs acknowledged', stats.informs),
  ];
}

/** Alerts of one threshold-alert node by phase (the node's labels added by the caller). */
export function alertHealth(counts: { firing: number; pending: number }): HealthFamily[] {
  const p = HEALTH_PREFIX;
  return [
    { name: `${p}alerts_firing`, type: 'gauge', labelNames: [], help: 'Alerts of the threshold-alert node firing now', samples: [{ labels: {}, value: counts.firing }] },
    { name: `${p}alerts_pending`, type: 'gauge', labelNames: [], help: 'Alerts of the threshold-alert node pending (over threshold, waiting for their for duration)', samples: [{ labels: {}, value: counts.pending }] },
  ];
}
