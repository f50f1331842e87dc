/**
 * What snmp-get and snmp-bulkwalk do on each trigger, free of Node-RED: choose the
 * devices (inventory wins over the message), resolve OID names, run the cycle through
 * the shared scheduler, turn results into messages, and keep each device's up/down
 * state so a dead device is logged when it falls and when it recovers, not every cycle.
 */
import { ConfigError, parseTarget } from '../common/inventory';
import { payloadObject, buildRows, deviceField, errorField, snmpMeta, type ErrorSource } from './messages';
import { isNumericOid, normalizeOid } from '../common/oid';
import { pollGet, pollWalk, type PollContext, type PollResult, type WalkOptions } from './device-poll';
import { FleetScheduler, InFlightGuard, runCycle, type CycleSummary } from './scheduler';
import { SessionPool } from '../snmp/session-pool';
import type { Device, MibLookup, SnmpProfile } from '../common/types';

/** Pool and scheduler of one snmp-config: shared by every node that uses it. */
export class FleetEngine {
  readonly pool: SessionPool;
  readonly scheduler: FleetScheduler;

  constructor(readonly profile: SnmpProfile) {
    this.pool = new SessionPool(profile);
    this.scheduler = new FleetScheduler(profile.concurrency);
  }

  close(): void {
    this.scheduler.close();
    this.pool.close();
  }
}

/** Splits the node's OID text (one per line; commas allowed) into entries. */
export function splitOidList(text: unknown): string[] {
  if (Array.isArray(text)) return text.map((s) => String(s).trim()).filter(Boolean);
  if (typeof text !== 'string') return [];
  return text.split(/[\r\n,]+/).map((s) => s.replace(/#.*$/, '').trim()).filter(Boolean);
}

/** Resolves names and numeric OIDs; throws a ConfigError naming the first unknown one. */
export function resolveOids(entries: string[], mib: MibLookup | undefined): string[] {
  return entries.map((entry) => {
    if (isNumericOid(entry)) {
      try {
        return normalizeOid(entry);
      } catch (err) {
        throw new ConfigError((err as Error).message);
      }
    }
    if (!mib) throw new ConfigError(`unknown OID name "${entry.slice(0, 80)}" (no MIB loaded)`);
    try {
      return mib.resolve(entry);
    } catch {
      throw new ConfigError(`unknown OID name "${entry.slice(0, 80)}"`);
    }
  });
}

export interface TargetChoice {
  devices: Device[];
  /** The message tried to override a configured inventory (warn once). */
  ignoredOverride: boolean;
}

/** Configured inventory wins; else msg.targets (array), else msg.target. */
export function chooseTargets(inventory: Device[], msg: { targets?: unknown; target?: unknown }, defaultPort: number): TargetChoice {
  const fromMsg = msg.targets !== undefined || msg.target !== undefined;
  if (inventory.length > 0) return { devices: inventory, ignoredOverride: fromMsg };
  if (msg.targets !== undefined) {
    if (!Array.isArray(msg.targets)) throw new ConfigError('msg.targets must be an array of "host[:port]" strings or {host, port} objects');
    const devices: Device[] = [];
    const seen = new Set<string>();
    msg.targets.forEach((t, i) => {
      let d: Device;
      try {
        d = parseTarget(t, defaultPort);
      } catch (err) {
        throw new ConfigError(`msg.targets[${i}]: ${(err as Error).message}`);
      }
      const key = `${d.host}|${d.port}`;
      if (!seen.has(key)) {
        seen.add(key);
        devices.push(d);
      }
    });
    if (devices.length === 0) throw new ConfigError('msg.targets is empty');
    return { devices, ignoredOverride: false };
  }
  if (msg.target !== undefined) return { devices: [parseTarget(msg.target, defaultPort)], ignoredOverride: false };
  throw new ConfigError('no target: configure an inventory in snmp-config or send msg.targets / msg.target');
}

export type DeviceTransition = { device: Device; state: 'down'; reason: string } | { device: Device; state: 'up' };

/** Remembers which devices are down, to report only changes. Bounded by the devices polled. */
export class DeviceHealth {
  private readonly down = new Map<string, string>();

  /** Returns the transition this result causes, if any. */
  update(result: PollResult): DeviceTransition | undefined {
    const key = `${result.device.host}|${result.device.port}`;
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

export interface PollRequest {
  kind: 'get' | 'walk';
  devices: Device[];
  oids: string[];
  walk?: WalkOptions & { output: 'rows' | 'varbinds' };
}

/** Fields a result sets on its (cloned) message. */
export type ResultFields = Record<string, unknown> & { topic: string; payload: unknown };

/** One snmp-get / snmp-bulkwalk node's polling: its guard against stacking and its health map. */
export class PollRunner {
  readonly guard = new InFlightGuard();
  readonly health = new DeviceHealth();
  /** Triggers skipped per device because the previous poll was still running. */
  skippedTotal = 0;

  constructor(private readonly engine: FleetEngine, private readonly mib: MibLookup | undefined, private readonly source: ErrorSource) {}

  /**
   * Polls the devices; `emit(port, fields, result)` is called once per device as its
   * result comes in (port 0 = answers, 1 = failures). Resolves with the cycle summary.
   */
  async run(req: PollRequest, emit: (port: 0 | 1, fields: ResultFields, result: PollResult) => void): Promise<CycleSummary> {
    const ctx: PollContext = { pool: this.engine.pool, profile: this.engine.profile, mib: this.mib };
    const version = this.engine.profile.version;
    const summary = await runCycle<Device, PollResult>({
      devices: req.devices,
      keyOf: (d) => `${d.host}|${d.port}`,
      guard: this.guard,
      scheduler: this.engine.scheduler,
      poll: (d) => (req.kind === 'get' ? pollGet(ctx, d, req.oids) : pollWalk(ctx, d, req.oids, req.walk!)),
      isOk: (r) => r.ok,
      onResult: (d, r) => {
        const base = { topic: d.name, device: deviceField(d), snmp: snmpMeta(r, version) };
        if (!r.ok) {
          emit(1, { ...base, payload: null, error: errorField(r.failure, this.source) }, r);
          return;
        }
        if (req.kind === 'walk' && req.walk!.output === 'rows') {
          const { rows, types } = buildRows(r, this.mib);
          emit(0, { ...base, payload: rows, types, varbinds: r.varbinds }, r);
        } else {
          emit(0, { ...base, payload: payloadObject(r.varbinds, r.infos), varbinds: r.varbinds }, r);
        }
      },
    });
    this.skippedTotal += summary.skipped;
    return summary;
  }
}

/** Status text parts of a finished cycle, e.g. `198/200 ok · 1.4 s`. */
export function formatSeconds(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 1000)} s`;
}
