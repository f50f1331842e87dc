/**
 * counter-rate's state as the context store keeps it: a head `{ v }` and one part per
 * device (its DeviceState), so a cycle writes the devices it saw and nothing else
 * (common/state-store.ts, StateLayout). A state saved whole by an earlier release is
 * read as it is and written back in parts.
 */
import type { StateLayout } from '../common/state-store';
import { COUNTER_STATE_VERSION, type CounterRateState } from './engine';

export const counterStateLayout: StateLayout<CounterRateState> = {
  head: (state) => ({ v: state.v }),
  names: (state) => Object.keys(state.devices),
  parts: (state, names) => names.map((n) => state.devices[n]),
  join(head, parts) {
    const h = head as { v?: unknown; devices?: unknown } | undefined | null;
    // a whole state (release 0.1.0 and the single-value layout): its parts are inside
    if (h && typeof h === 'object' && h.devices && typeof h.devices === 'object') return h;
    const devices: Record<string, unknown> = Object.create(null);
    for (const [name, part] of parts) devices[name] = part;
    return { v: h && typeof h === 'object' && h.v !== undefined ? h.v : COUNTER_STATE_VERSION, devices };
  },
};
