/**
 * What threshold-alert sends: the generic alert of DESIGN.md, or (by the node's
 * `format`) a Slack Block Kit body or a PagerDuty Events v2 body built from it.
 */
import { fingerprint, type AlertNotification } from './notification';
import { slackBody } from './slack';
import { pagerDutyBody } from './pagerduty';
import { renderTemplate } from '../common/templates';

/** `msg.payload` of the `alert` format. */
export interface GenericAlert {
  status: 'firing' | 'resolved';
  alertname: string;
  severity: string;
  device: string;
  instance: string;
  value: number | string | null;
  threshold: number | string | null;
  startsAt: string;
  endsAt: string | null;
  summary: string;
  labels: Record<string, string>;
  /** Stable identity of the alert (also PagerDuty's dedup_key). */
  fingerprint: string;
  repeat?: true;
}

export type { AlertNotification };
export { fingerprint };

export type AlertFormat = 'alert' | 'slack' | 'pagerduty';

/** The generic alert object (summary with raw values: JSON escapes itself). */
export function genericAlert(n: AlertNotification): GenericAlert {
  const a: GenericAlert = {
    status: n.status,
    alertname: n.alertname,
    severity: n.severity,
    device: n.device,
    instance: n.instance,
    value: n.value,
    threshold: n.threshold,
    startsAt: new Date(n.startsAt).toISOString(),
    endsAt: n.endsAt === undefined ? null : new Date(n.endsAt).toISOString(),
    summary: renderTemplate(n.template, n.vars),
    labels: { ...n.labels },
    fingerprint: fingerprint(n.alertname, n.device, n.instance),
  };
  if (n.repeat) a.repeat = true;
  return a;
}

/** `msg.payload` in the chosen format. */
export function formatAlert(n: AlertNotification, format: AlertFormat, opts: { routingKey?: string } = {}): unknown {
  if (format === 'slack') return slackBody(n);
  if (format === 'pagerduty') return pagerDutyBody(n, opts.routingKey);
  return genericAlert(n);
}
