/**
 * PagerDuty Events API v2 bodies for threshold-alert: `trigger` on firing (and on
 * repeats, which PagerDuty folds into the open incident by dedup_key), `resolve` on
 * resolution with the same dedup_key.
 * https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
 *
 * The routing_key is a secret: it comes from the node's credential (or an environment
 * variable named there), never from the flow or the message.
 */
import { incidentOf, type AlertNotification } from './notification';
import type { AlertGroup } from './dispatch';
import { cleanText, renderTemplate } from '../common/templates';

/**
 * Events v2 field limits; `body` is the whole event's size limit (512 KB), with room
 * kept for the routing key and the JSON around custom_details.
 */
export const PD_LIMITS = { summary: 1024, source: 255, component: 255, class: 255, dedupKey: 255, body: 512 * 1024 - 4096 };
/** Marks a value cut to keep an event under {@link PD_LIMITS}.body. */
export const TRUNCATED = '…[truncated]';

export type PdSeverity = 'critical' | 'error' | 'warning' | 'info';

/** The words of the usual severity scales (syslog, ITIL priorities P0-P5, SEV0-SEV5, Zabbix). */
const PD_SEVERITY_WORDS: Record<string, PdSeverity> = Object.assign(Object.create(null) as Record<string, PdSeverity>, {
  critical: 'critical', crit: 'critical', fatal: 'critical', page: 'critical', emergency: 'critical', emerg: 'critical',
  alert: 'critical', disaster: 'critical', blocker: 'critical', p0: 'critical', p1: 'critical', sev0: 'critical', sev1: 'critical',
  error: 'error', err: 'error', major: 'error', high: 'error', severe: 'error', p2: 'error', sev2: 'error',
  warning: 'warning', warn: 'warning', minor: 'warning', medium: 'warning', moderate: 'warning', average: 'warning', p3: 'warning', sev3: 'warning',
  info: 'info', informational: 'info', information: 'info', notice: 'info', low: 'info', debug: 'info', ok: 'info', none: 'info',
  p4: 'info', p5: 'info', sev4: 'info', sev5: 'info',
});

/**
 * Maps a rule's free-text severity onto the four PagerDuty accepts. A word of no known
 * scale is an `error`: a severity nobody mapped must not page at `info` (low urgency), as
 * "P1" or "sev1" once did.
 */
export function pagerDutySeverity(severity: string): PdSeverity {
  const s = severity.trim().toLowerCase().replace(/[\s_-]+/g, '');
  if (s === '') return 'warning';
  return PD_SEVERITY_WORDS[s] ?? 'error';
}

export interface PagerDutyEvent {
  routing_key?: string;
  event_action: 'trigger' | 'resolve';
  dedup_key: string;
  client?: string;
  payload?: {
    summary: string;
    source: string;
    severity: PdSeverity;
    timestamp: string;
    component?: string;
    class: string;
    custom_details: Record<string, unknown>;
  };
}

/** The Events v2 body of one notification; `routingKey` undefined leaves the field out. */
export function pagerDutyBody(n: AlertNotification, routingKey?: string): PagerDutyEvent {
  const event: PagerDutyEvent = {
    event_action: n.status === 'resolved' ? 'resolve' : 'trigger',
    dedup_key: incidentOf(n),
  };
  if (routingKey) event.routing_key = routingKey;
  if (n.status === 'resolved') return event;
  const summary = cleanText(renderTemplate(n.template, n.vars), PD_LIMITS.summary) || `${n.alertname} on ${n.device}`;
  event.client = 'Node-RED snmp-fleet';
  event.payload = {
    summary,
    source: cleanText(n.device, PD_LIMITS.source) || 'unknown',
    severity: pagerDutySeverity(n.severity),
    timestamp: new Date(n.startsAt).toISOString(),
    class: cleanText(n.alertname, PD_LIMITS.class),
    custom_details: boundDetails(details(n), PD_LIMITS.body),
  };
  if (n.instance) event.payload.component = cleanText(n.instance, PD_LIMITS.component);
  return event;
}

function details(n: AlertNotification): Record<string, unknown> {
  return {
    value: n.value,
    threshold: n.threshold,
    ...(n.op ? { op: n.op } : {}),
    ...(n.field ? { field: n.field } : {}),
    ...(n.index !== n.instance ? { index: n.index } : {}),
    ...(n.repeat ? { repeat: true } : {}),
    labels: { ...n.labels },
  };
}

const SEVERITY_RANK: Record<PdSeverity, number> = { critical: 4, error: 3, warning: 2, info: 1 };

/**
 * The Events v2 bodies of one group: a trigger per incident its firing alerts belong
 * to (normally one: the group's), carrying every alert in custom_details, and a
 * resolve per incident whose last firing alert resolved. A group that only resolves
 * some alerts of an incident still open sends nothing.
 */
export function pagerDutyGroupEvents(g: AlertGroup, routingKey?: string): PagerDutyEvent[] {
  const events: PagerDutyEvent[] = [];
  const firing = g.notifications.filter((n) => n.status === 'firing');
  for (const incident of g.firingIncidents) {
    const ns = firing.filter((n) => incidentOf(n) === incident);
    if (ns.length === 0) continue;
    const severity = ns.map((n) => pagerDutySeverity(n.severity)).reduce((a, b) => (SEVERITY_RANK[b] > SEVERITY_RANK[a] ? b : a));
    const devices = [...new Set(ns.map((n) => n.device))];
    const counts = new Map<string, number>();
    for (const n of ns) counts.set(n.alertname, (counts.get(n.alertname) ?? 0) + 1);
    const what = [...counts].map(([name, c]) => (c === 1 ? name : `${c} × ${name}`)).join(', ');
    const instances = ns.map((n) => n.instance).filter((i) => i !== '');
    const named = instances.slice(0, 3).join(', ') + (instances.length > 3 ? ` +${instances.length - 3} more` : '');
    const summary = ns.length === 1
      ? cleanText(renderTemplate(ns[0].template, ns[0].vars), PD_LIMITS.summary) || `${ns[0].alertname} on ${ns[0].device}`
      : cleanText(`${devices.slice(0, 3).join(', ')}${devices.length > 3 ? ` +${devices.length - 3} more` : ''}: ${what}${named ? ` (${named})` : ''}`, PD_LIMITS.summary);
    const event: PagerDutyEvent = {
      event_action: 'trigger',
      dedup_key: incident,
      client: 'Node-RED snmp-fleet',
      payload: {
        summary,
        source: cleanText(devices.length === 1 ? devices[0] : devices.slice(0, 3).join(', '), PD_LIMITS.source) || 'unknown',
        severity,
        timestamp: new Date(Math.min(...ns.map((n) => n.startsAt))).toISOString(),
        class: cleanText([...counts.keys()].join(', '), PD_LIMITS.class),
        custom_details: boundDetails({
          firing: ns.length,
          ...(g.stillFiring > 0 ? { stillFiring: g.stillFiring } : {}),
          alerts: ns.map((n) => ({
            alertname: n.alertname,
            device: n.device,
            instance: n.instance,
            severity: n.severity,
            summary: renderTemplate(n.template, n.vars),
            startsAt: new Date(n.startsAt).toISOString(),
            ...details(n),
          })),
        }, PD_LIMITS.body),
      },
    };
    if (routingKey) event.routing_key = routingKey;
    if (named) event.payload!.component = cleanText(named, PD_LIMITS.component);
    events.push(event);
  }
  for (const incident of g.closedIncidents) {
    const event: PagerDutyEvent = { event_action: 'resolve', dedup_key: incident };
    if (routingKey) event.routing_key = routingKey;
    events.push(event);
  }
  return events;
}

/**
 * custom_details cut to fit `maxBytes` of JSON: the longest strings are cut first
 * (ending in {@link TRUNCATED}), then the longest arrays lose items from the end (a last
 * item says how many went). What fits is kept as it was.
 */
export function boundDetails(d: Record<string, unknown>, maxBytes: number): Record<string, unknown> {
  let size = Buffer.byteLength(JSON.stringify(d));
  if (size <= maxBytes) return d;
  const copy = JSON.parse(JSON.stringify(d)) as Record<string, unknown>;
  for (let round = 0; round < 64 && size > maxBytes; round++) {
    const largest = largestValue(copy);
    if (!largest) break;
    const { holder, key, value } = largest;
    const excess = size - maxBytes;
    if (typeof value === 'string') {
      const keep = Math.max(0, Math.floor((Buffer.byteLength(value) - excess) / 4) - TRUNCATED.length);
      (holder as any)[key] = value.slice(0, keep) + TRUNCATED;
    } else if (Array.isArray(value)) {
      const per = Buffer.byteLength(JSON.stringify(value)) / Math.max(1, value.length);
      const drop = Math.min(value.length, Math.max(1, Math.ceil(excess / per) + 1));
      const kept = value.slice(0, value.length - drop);
      kept.push(`${TRUNCATED} ${drop} more`);
      (holder as any)[key] = kept;
    } else {
      (holder as any)[key] = TRUNCATED;
    }
    size = Buffer.byteLength(JSON.stringify(copy));
  }
  return copy;
}

/** The largest string or array anywhere in `root` (by JSON size), with where it sits. */
function largestValue(root: unknown): { holder: object; key: string | number; value: unknown } | undefined {
  let best: { holder: object; key: string | number; value: unknown; size: number } | undefined;
  const visit = (holder: any): void => {
    for (const key of Object.keys(holder)) {
      const value = holder[key];
      if (typeof value === 'string' || Array.isArray(value)) {
        const size = Buffer.byteLength(JSON.stringify(value));
        if (size > 64 && (!best || size > best.size) && !(typeof value === 'string' && value.endsWith(TRUNCATED))) best = { holder, key, value, size };
      }
      if (typeof value === 'object' && value !== null) visit(value);
    }
  };
  visit(root);
  return best;
}
