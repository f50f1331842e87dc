/**
 * threshold-alert's state as the context store keeps it: one part per device holding
 * its track and its alerts, `{ track, alerts }`, and a head with everything else
 * (version, silences), so a message or a tick writes the devices it changed and
 * nothing else (common/state-store.ts, StateLayout). A state saved whole by an earlier
 * release is read as it is and written back in parts.
 */
import type { StateLayout } from '../common/state-store';
import { ALERT_STATE_VERSION, type AlertEngineState, type AlertRecord, type DeviceTrack } from './engine';

/** One device's part. */
export interface AlertPart {
  track?: DeviceTrack;
  alerts?: Record<string, AlertRecord>;
}

export const alertStateLayout: StateLayout<AlertEngineState> = {
  head(state) {
    const { devices: _devices, alerts: _alerts, ...head } = state;
    return head;
  },
  names(state) {
    const names = new Set(Object.keys(state.devices));
    for (const rec of Object.values(state.alerts)) names.add(rec.device);
    return [...names];
  },
  parts(state, names) {
    // the alerts grouped by device once per write, not once per device
    const wanted = new Set(names);
    const byDevice = new Map<string, Record<string, AlertRecord>>();
    for (const [key, rec] of Object.entries(state.alerts)) {
      if (!wanted.has(rec.device)) continue;
      let group = byDevice.get(rec.device);
      if (!group) byDevice.set(rec.device, (group = {}));
      group[key] = rec;
    }
    return names.map((name) => {
      const track = state.devices[name];
      const alerts = byDevice.get(name);
      if (!track && !alerts) return undefined;
      const part: AlertPart = {};
      if (track) part.track = track;
      if (alerts) part.alerts = alerts;
      return part;
    });
  },
  join(head, parts) {
    const h = head as Record<string, unknown> | undefined | null;
    // a whole state (releases up to 0.1.x): its devices and alerts are inside
    if (h && typeof h === 'object' && (h.devices !== undefined || h.alerts !== undefined)) return h;
    const devices: Record<string, unknown> = Object.create(null);
    const alerts: Record<string, unknown> = Object.create(null);
    for (const [name, raw] of parts) {
      const part = raw as AlertPart | null;
      if (!part || typeof part !== 'object') continue;
      if (part.track !== undefined) devices[name] = part.track;
      if (part.alerts && typeof part.alerts === 'object') Object.assign(alerts, part.alerts);
    }
    if (!h && parts.size === 0) return undefined;
    // parts without a head (its write failed): they are of this release's layout
    return { v: ALERT_STATE_VERSION, ...(h && typeof h === 'object' ? h : {}), devices, alerts };
  },
};
