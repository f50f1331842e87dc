/**
 * What threshold-alert sends: the generic alert of DESIGN.md, or (by the node's
 * `format`) a Slack Block Kit body or a PagerDuty Events v2 body built from it.
 */
import { fingerprint, type AlertNotification } from './notification';
import type { AlertGroup } from './dispatch';
import { slackBody, slackGroupBody } from './slack';
import { pagerDutyBody, pagerDutyGroupEvents } from './pagerduty';
import { renderTemplate } from '../common/templates';

/** `msg.payload` of the `alert` format. */
export interface GenericAlert {
  status: 'firing' | 'resolved';
  alertname: string;
  severity: string;
  device: string;
  /** Readable: the row's ifName, ifDescr, ifAlias (or the chosen column), else the index. */
  instance: string;
  /** The row index (or key suffix); '' for device-wide alerts. */
  index: string;
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
    index: n.index,
    value: n.value,
    threshold: n.threshold,
    startsAt: new Date(n.startsAt).toISOString(),
    endsAt: n.endsAt === undefined ? null : new Date(n.endsAt).toISOString(),
    summary: renderTemplate(n.template, n.vars),
    labels: { ...n.labels },
    fingerprint: fingerprint(n.alertname, n.device, n.index),
  };
  if (n.repeat) a.repeat = true;
  return a;
}

/** `msg.payload` of the `alert` format for a group (and `msg.alert` in every format). */
export interface GenericGroup {
  /** firing while any alert it lists fires. */
  status: 'firing' | 'resolved';
  /** The group's key, also the PagerDuty dedup_key of its incident. */
  groupKey: string;
  /** The label values it is grouped on. */
  groupLabels: Record<string, string>;
  /** The device when all alerts are of one device, else ''. */
  device: string;
  /** The alertname when all alerts share one, else ''. */
  alertname: string;
  /** The highest severity among its firing alerts (else among all). */
  severity: string;
  /** One line: "core-1: 48 × InterfaceDown firing". */
  summary: string;
  counts: { firing: number; resolved: number };
  /** Alerts of the group still firing that this notification does not list. */
  stillFiring: number;
  alerts: GenericAlert[];
}

const SEVERITY_ORDER = ['critical', 'error', 'warning', 'info'];

function rank(severity: string): number {
  const i = SEVERITY_ORDER.indexOf(severity.toLowerCase());
  return i < 0 ? SEVERITY_ORDER.length : i;
}

/** The group object of the `alert` format. */
export function genericGroup(g: AlertGroup): GenericGroup {
  const alerts = g.notifications.map(genericAlert);
  const firing = alerts.filter((a) => a.status === 'firing');
  const resolved = alerts.length - firing.length;
  const one = <K extends 'device' | 'alertname'>(k: K): string => (new Set(alerts.map((a) => a[k])).size === 1 ? alerts[0][k] : '');
  const severity = (firing.length > 0 ? firing : alerts).map((a) => a.severity).sort((a, b) => rank(a) - rank(b))[0] ?? '';
  const counts = (list: GenericAlert[]): string => {
    const byName = new Map<string, number>();
    for (const a of list) byName.set(a.alertname, (byName.get(a.alertname) ?? 0) + 1);
    return [...byName].map(([name, c]) => (c === 1 ? name : `${c} × ${name}`)).join(', ');
  };
  const devices = [...new Set(alerts.map((a) => a.device))];
  const who = devices.length <= 3 ? devices.join(', ') : `${devices.slice(0, 3).join(', ')} +${devices.length - 3} more`;
  const parts = [firing.length > 0 ? `${counts(firing)} firing` : '', resolved > 0 ? `${counts(alerts.filter((a) => a.status === 'resolved'))} resolved` : ''];
  return {
    status: firing.length > 0 ? 'firing' : 'resolved',
    groupKey: g.key,
    groupLabels: { ...g.labels },
    device: one('device'),
    alertname: one('alertname'),
    severity,
    summary: alerts.length === 1 ? alerts[0].summary : `${who}: ${parts.filter((p) => p !== '').join(', ')}`,
    counts: { firing: firing.length, resolved },
    stillFiring: g.stillFiring,
    alerts,
  };
}

/**
 * The messages' payloads for one group in the chosen format: one for `alert` and
 * `slack`; for `pagerduty` one per event (none when the group only resolves part of an
 * incident that stays open). With grouping `none` the payloads are those of 0.1: one
 * alert per message.
 */
export function formatGroup(g: AlertGroup, format: AlertFormat, opts: { routingKey?: string } = {}): unknown[] {
  if (g.grouping === 'none') return g.notifications.map((n) => formatAlert(n, format, opts));
  if (format === 'slack') return [slackGroupBody(g)];
  if (format === 'pagerduty') return pagerDutyGroupEvents(g, opts.routingKey);
  return [genericGroup(g)];
}

/** `msg.payload` in the chosen format. */
export function formatAlert(n: AlertNotification, format: AlertFormat, opts: { routingKey?: string } = {}): unknown {
  if (format === 'slack') return slackBody(n);
  if (format === 'pagerduty') return pagerDutyBody(n, opts.routingKey);
  return genericAlert(n);
}
