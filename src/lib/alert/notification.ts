/**
 * The notification the alert engine emits for each change of an alert, and the
 * alert's stable identity. Shared by the output formats (alert-format, slack, pagerduty).
 */
import { createHash } from 'crypto';

/** A change of one alert, as the engine reports it. */
export interface AlertNotification {
  status: 'firing' | 'resolved';
  /** A re-notification of an alert already announced as firing. */
  repeat: boolean;
  alertname: string;
  severity: string;
  /** The device (msg.topic). */
  device: string;
  /** The alert's key in the engine's state (alertname, device, index). */
  key: string;
  /** Row index or `field.<instance>` suffix; '' for device-wide alerts. */
  index: string;
  /** What people read: the row's text column (ifName, ifDescr, ifAlias or the chosen one), else the index. */
  instance: string;
  /**
   * The incident (PagerDuty dedup_key) the firing was announced under; undefined when
   * announced one alert at a time (then it is the alert's fingerprint).
   */
  incident?: string;
  value: number | string | null;
  threshold: number | string | null;
  op?: string;
  field?: string;
  /** ms epoch. */
  startsAt: number;
  /** ms epoch; resolved only. */
  endsAt?: number;
  /** The rule's summary template and the values to fill it with (already text). */
  template: string;
  vars: Record<string, string>;
  labels: Record<string, string>;
}

/** The incident key a resolution or repeat of `n` belongs to. */
export function incidentOf(n: Pick<AlertNotification, 'incident' | 'alertname' | 'device' | 'index'>): string {
  return n.incident ?? fingerprint(n.alertname, n.device, n.index);
}

/**
 * A stable key for one alert of one series: the same alertname, device and instance
 * always give the same key (across restarts and nodes), so a receiver pairs the
 * resolve with its trigger.
 */
export function fingerprint(alertname: string, device: string, instance: string): string {
  return createHash('sha256').update(JSON.stringify([alertname, device, instance])).digest('hex').slice(0, 32);
}

