/**
 * Which devices are down, so a dead device is logged when it falls and when it
 * recovers, never once per cycle (node-red-nodes#397: timeouts filled the debug
 * sidebar every poll).
 */
import { deviceKey } from '../common/inventory';
import type { Device } from '../common/types';
import type { PollResult } from './device-poll';
import { FORGET_AFTER_CYCLES } from './stats';

export type DeviceTransition = { device: Device; state: 'down'; reason: string } | { device: Device; state: 'up' };

/**
 * Remembers which devices are down, to report only changes. A device that has not been
 * polled for FORGET_AFTER_CYCLES of the node's cycles, or that left its schedule, is
 * forgotten, as PollStats forgets it: short-lived targets that were down do not pile up.
 */
export class DeviceHealth {
  /** The node's cycle in which each down device last failed. */
  private readonly down = new Map<string, number>();
  private cycle = 0;

  /** Returns the transition this result causes, if any. */
  update(result: PollResult): DeviceTransition | undefined {
    // most answers, in a fleet with nothing down: no identity to work out
    if (result.ok && this.down.size === 0) return undefined;
    const key = deviceKey(result.device);
    if (result.ok) {
      if (this.down.delete(key)) return { device: result.device, state: 'up' };
      return undefined;
    }
    const known = this.down.has(key);
    this.down.set(key, this.cycle);
    return known ? undefined : { device: result.device, state: 'down', reason: `${result.failure.code}: ${result.failure.message}` };
  }

  /** A cycle of the node ended: devices down and no longer polled are forgotten. */
  endCycle(): void {
    this.cycle++;
    for (const [key, cycle] of this.down) if (this.cycle - cycle > FORGET_AFTER_CYCLES) this.down.delete(key);
  }

  /** Forgets the devices whose identity (deviceKey) `keep` refuses. */
  retain(keep: (key: string) => boolean): void {
    for (const key of this.down.keys()) if (!keep(key)) this.down.delete(key);
  }

  get downCount(): number {
    return this.down.size;
  }

  clear(): void {
    this.down.clear();
  }
}
