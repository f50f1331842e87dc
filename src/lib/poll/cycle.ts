/**
 * One trigger of snmp-get or snmp-bulkwalk: its devices polled through the profile's
 * scheduler, each result turned into the fields of its message (DESIGN.md's message
 * contract) as it comes in.
 */
import type { Device, MibLookup } from '../common/types';
import { deviceKey } from '../common/inventory';
import { pollGetCb, pollWalkCb, type PollContext, type PollResult, type WalkOptions } from './device-poll';
import type { FleetEngine } from './fleet-engine';
import { RESULT_FORM_VERSION } from '../common/result-form';
import { buildRows, deviceField, errorField, payloadObject, rowsResultForm, snmpMeta, type ErrorSource } from './messages';
import { runCycle, type CycleSummary, type InFlightGuard } from './scheduler';

export interface PollRequest {
  kind: 'get' | 'walk';
  devices: Device[];
  oids: string[];
  walk?: WalkOptions & { output: 'rows' | 'varbinds' };
  /** 'json': each result as `{topic, device, payload: <the JSON form>}` (common/result-form.ts), to travel over MQTT. */
  form?: 'message' | 'json';
  /** ms epoch: a device still waiting for its turn past it is not polled (the job expired). */
  deadline?: number;
}

/** Fields a result sets on its (cloned) message. */
export type ResultFields = Record<string, unknown> & { topic: string; payload: unknown };

/** What a poll cycle runs on: the profile's engine, the MIB, the node's guard and its name for errors. */
export interface CycleContext {
  engine: FleetEngine;
  mib: MibLookup | undefined;
  /** Devices of this node still in flight from an earlier trigger are skipped, not polled twice. */
  guard: InFlightGuard;
  source: ErrorSource;
  /** The clock of msg.snmp.time (ms epoch); tests and the simulator share one. Default Date.now. */
  now?: () => number;
}

/**
 * Polls the devices of one trigger; `emit(port, fields, result)` is called once per
 * device as its result comes in (port 0 = answers, 1 = failures). Resolves with the
 * cycle summary.
 */
export async function runPollCycle(cc: CycleContext, req: PollRequest, emit: (port: 0 | 1, fields: ResultFields, result: PollResult) => void): Promise<CycleSummary> {
  const ctx: PollContext = { pool: cc.engine.pool, profile: cc.engine.profile, mib: cc.mib, now: cc.now };
  const version = cc.engine.profile.version;
  return runCycle<Device, PollResult>({
    devices: req.devices,
    // the device identity, as the own schedule asks the guard whether a device is busy
    keyOf: deviceKey,
    guard: cc.guard,
    scheduler: cc.engine.scheduler,
    now: cc.now,
    pollCb: (d, report) => (req.kind === 'get' ? pollGetCb(ctx, d, req.oids, report) : pollWalkCb(ctx, d, req.oids, req.walk!, report)),
    isOk: (r) => r.ok,
    expired: req.deadline === undefined ? undefined : () => Date.now() > req.deadline!,
    onResult: (d, r) => {
      // plain literals, not `{ ...base, payload }`: V8 (Node 20) builds a spread with more
      // properties after it a microsecond or two slower, and this runs for every device
      const topic = d.name;
      const device = deviceField(d);
      const snmp = snmpMeta(r, version);
      const json = req.form === 'json';
      if (!r.ok) {
        const error = errorField(r.failure, cc.source);
        emit(1, json ? { topic, device, payload: { snmpResult: RESULT_FORM_VERSION, topic, device, snmp, payload: null, error } } : { topic, device, snmp, payload: null, error }, r);
        return;
      }
      if (req.kind === 'walk' && req.walk!.output === 'rows') {
        if (json) {
          emit(0, { topic, device, payload: rowsResultForm({ topic, device, snmp }, r, cc.mib) }, r);
          return;
        }
        const { rows, types } = buildRows(r, cc.mib);
        emit(0, { topic, device, snmp, payload: rows, types, varbinds: r.varbinds }, r);
      } else {
        const payload = payloadObject(r.varbinds, r.infos);
        emit(0, json ? { topic, device, payload: { snmpResult: RESULT_FORM_VERSION, topic, device, snmp, payload, varbinds: r.varbinds } } : { topic, device, snmp, payload, varbinds: r.varbinds }, r);
      }
    },
  });
}
