/**
 * PagerDuty Events API v2 bodies for threshold-alert: `trigger` on firing (and on
 * repeats, which PagerDuty folds into the open incident by dedup_key), `resolve` on
 * resolution with the same dedup_key.
 * https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
 *
 * The routing_key is a secret: it comes from the node's credential (or an environment
 * variable named there), never from the flow or the message.
 */
import { fingerprint, type AlertNotification } from './notification';
import { cleanText, renderTemplate } from '../common/templates';

/** Events v2 field limits. */
export const PD_LIMITS = { summary: 1024, source: 255, component: 255, class: 255, dedupKey: 255 };

export type PdSeverity = 'critical' | 'error' | 'warning' | 'info';

/** Maps a rule's free-text severity onto the four PagerDuty accepts. */
export function pagerDutySeverity(severity: string): PdSeverity {
  const s = severity.toLowerCase();
  if (s === 'critical' || s === 'fatal' || s === 'page' || s === 'emergency' || s === 'alert') return 'critical';
  if (s === 'error' || s === 'major' || s === 'high' || s === 'err') return 'error';
  if (s === 'warning' || s === 'warn' || s === 'minor' || s === 'medium') return 'warning';
  return 'info';
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
    dedup_key: fingerprint(n.alertname, n.device, n.instance),
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
    custom_details: {
      value: n.value,
      threshold: n.threshold,
      ...(n.op ? { op: n.op } : {}),
      ...(n.field ? { field: n.field } : {}),
      ...(n.repeat ? { repeat: true } : {}),
      labels: { ...n.labels },
    },
  };
  if (n.instance) event.payload.component = cleanText(n.instance, PD_LIMITS.component);
  return event;
}
