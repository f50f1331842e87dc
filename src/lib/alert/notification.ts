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
  /** Row index or instance; '' for device-wide alerts. */
  instance: string;
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

/**
 * A stable key for one alert of one series: the same alertname, device and instance
 * always give the same key (across restarts and nodes), so a receiver pairs the
 * resolve with its trigger.
 */
export function fingerprint(alertname: string, device: string, instance: string): string {
  return createHash('sha256').update(JSON.stringify([alertname, device, instance])).digest('hex').slice(0, 32);
}

