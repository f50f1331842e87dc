/**
 * Which devices are down, so a dead device is logged when it falls and when it
 * recovers, never once per cycle (node-red-nodes#397: timeouts filled the debug
 * sidebar every poll).
 */
import { deviceKey } from '../common/inventory';
import type { Device } from '../common/types';
import type { PollResult } from './device-poll';

export type DeviceTransition = { device: Device; state: 'down'; reason: string } | { device: Device; state: 'up' };

/** Remembers which devices are down, to report only changes. Bounded by the devices polled. */
export class DeviceHealth {
  private readonly down = new Map<string, string>();

  /** Returns the transition this result causes, if any. */
  update(result: PollResult): DeviceTransition | undefined {
    // most answers, in a fleet with nothing down: no identity to work out
    if (result.ok && this.down.size === 0) return undefined;
    const key = deviceKey(result.device);
    if (result.ok) {
      if (this.down.delete(key)) return { device: result.device, state: 'up' };
      return undefined;
    }
    const reason = result.failure.code;
    const before = this.down.get(key);
    this.down.set(key, reason);
    return before === undefined ? { device: result.device, state: 'down', reason: `${reason}: ${result.failure.message}` } : undefined;
  }

  get downCount(): number {
    return this.down.size;
  }

  clear(): void {
    this.down.clear();
  }
}
