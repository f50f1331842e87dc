/**
 * What one poll node has done, as health numbers (common/health.ts): each device's last
 * answer (up or down, how long it took), and since the start the polls, the failures by
 * code, the SNMP requests and varbinds, and the devices skipped because their previous
 * poll was still running — what snmp_exporter reports as `up` and scrape durations.
 */
import { HEALTH_PREFIX, hostLabel, type HealthFamily } from '../common/health';
import { deviceKey } from '../common/inventory';
import type { Device } from '../common/types';
import type { PollResult } from './device-poll';
import type { CycleSummary } from './scheduler';

/** A device not polled for this many of the node's cycles is forgotten (it left the targets). */
export const FORGET_AFTER_CYCLES = 3;
/** Most devices remembered per node; msg.targets could otherwise name new ones forever. */
const MAX_DEVICES = 100000;

interface DeviceRecord {
  device: Device;
  up: boolean;
  elapsedMs: number;
  cycle: number;
}

export class PollStats {
  private readonly devices = new Map<string, DeviceRecord>();
  private cycle = 0;
  polls = 0;
  requests = 0;
  varbinds = 0;
  skipped = 0;
  readonly failures = new Map<string, number>();
  lastCycleMs: number | undefined;
  /** A node on its own schedule: the turns it skipped (see scheduled()). */
  private scheduleSkips: (() => number) | undefined;

  /** One device's result. */
  record(result: PollResult): void {
    this.polls++;
    this.requests += result.requests;
    if (result.ok) this.varbinds += result.varbinds.length;
    else this.failures.set(result.failure.code, (this.failures.get(result.failure.code) ?? 0) + 1);
    const key = deviceKey(result.device);
    const known = this.devices.get(key);
    if (known) {
      known.device = result.device;
      known.up = result.ok;
      known.elapsedMs = result.elapsedMs;
      known.cycle = this.cycle;
      return;
    }
    if (this.devices.size >= MAX_DEVICES) return;
    this.devices.set(key, { device: result.device, up: result.ok, elapsedMs: result.elapsedMs, cycle: this.cycle });
  }

  /** A cycle ended: its skips, its duration; devices no longer polled are forgotten. */
  endCycle(summary: CycleSummary): void {
    this.skipped += summary.skipped;
    this.lastCycleMs = summary.elapsedMs;
    this.cycle++;
    for (const [key, d] of this.devices) if (this.cycle - d.cycle > FORGET_AFTER_CYCLES) this.devices.delete(key);
  }

  /**
   * A node on its own schedule (poll/schedule.ts) has turns, not cycles: its skips are
   * the schedule's count, and its devices are forgotten when they leave the schedule
   * (retain), not after a number of cycles.
   */
  scheduled(skipped: () => number): void {
    this.scheduleSkips = skipped;
  }

  /** Forgets the devices whose identity (deviceKey) `keep` refuses. */
  retain(keep: (key: string) => boolean): void {
    for (const key of this.devices.keys()) if (!keep(key)) this.devices.delete(key);
  }

  /** The numbers; the adapter adds the node's identity (common/health.ts withLabels). */
  families(): HealthFamily[] {
    const device = (d: DeviceRecord) => ({ device: d.device.name, host: hostLabel(d.device.host, d.device.port) });
    const records = [...this.devices.values()];
    const p = HEALTH_PREFIX;
    const families: HealthFamily[] = [
      {
        name: `${p}device_up`, type: 'gauge', labelNames: ['device', 'host'],
        help: 'Whether the device answered its last poll (1) or failed (0)',
        samples: records.map((d) => ({ labels: device(d), value: d.up ? 1 : 0 })),
      },
      {
        name: `${p}device_poll_duration_seconds`, type: 'gauge', labelNames: ['device', 'host'],
        help: 'How long the last poll of the device took, requests and retries included',
        samples: records.map((d) => ({ labels: device(d), value: d.elapsedMs / 1000 })),
      },
      { name: `${p}polls_total`, type: 'counter', labelNames: [], help: 'Device polls done', samples: [{ labels: {}, value: this.polls }] },
      {
        name: `${p}poll_failures_total`, type: 'counter', labelNames: ['code'],
        help: 'Device polls that failed, by error code (timeout, unreachable, auth, snmp-error, bad-response, profile)',
        samples: [...this.failures].map(([code, value]) => ({ labels: { code }, value })),
      },
      { name: `${p}requests_total`, type: 'counter', labelNames: [], help: 'SNMP requests sent (GET, GETNEXT, GETBULK round trips)', samples: [{ labels: {}, value: this.requests }] },
      { name: `${p}varbinds_total`, type: 'counter', labelNames: [], help: 'Varbinds received in answers', samples: [{ labels: {}, value: this.varbinds }] },
      {
        name: `${p}skipped_total`, type: 'counter', labelNames: [],
        help: 'Devices skipped by the scheduler because their previous poll was still running',
        samples: [{ labels: {}, value: this.skipped + (this.scheduleSkips?.() ?? 0) }],
      },
    ];
    if (this.lastCycleMs !== undefined) {
      families.push({
        name: `${p}cycle_duration_seconds`, type: 'gauge', labelNames: [],
        help: 'How long the last poll cycle of the node took, from trigger to last device',
        samples: [{ labels: {}, value: this.lastCycleMs / 1000 }],
      });
    }
    return families;
  }
}
