/**
 * A node's status: the one status type of the pack and the one throttle every node
 * sends it through, so a burst of messages (one poll cycle of a fleet, a trap flood)
 * ends in one status call and never more than one a second. Identical statuses are
 * not sent again.
 */

/** Node-RED's status object: green healthy, blue busy, yellow partial, red failing, grey idle. */
export interface StatusObject {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  /** A locale key (translated by the editor) or text already translated at runtime. */
  text?: string;
}

export interface StatusThrottle {
  /** Asks for a status refresh; `compute` runs when the update is due. */
  request(): void;
  /** Applies the current status now (startup, errors). */
  flush(): void;
  /** Cancels a pending update (on close). */
  cancel(): void;
  /** Shows `s` now, outside the throttle and even when unchanged (the end of a cycle, a failure). */
  set(s: StatusObject): void;
}

/**
 * @param compute builds the status from the node's current state, when due
 * @param apply   the node's `status()` call
 * @param settleMs wait after the first request of a burst, so the burst can end
 * @param minIntervalMs minimum spacing of two updates
 */
export function statusThrottle(
  compute: () => StatusObject,
  apply: (s: StatusObject) => void,
  settleMs = 100,
  minIntervalMs = 1000,
): StatusThrottle {
  let timer: NodeJS.Timeout | undefined;
  let lastKey = '';
  let lastAt = -Infinity;

  const show = (s: StatusObject, always = false): void => {
    const key = `${s.fill}|${s.shape}|${s.text}`;
    if (key === lastKey && !always) return;
    lastKey = key;
    lastAt = Date.now();
    apply(s);
  };

  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    show(compute());
  };

  return {
    request(): void {
      if (timer) return;
      const wait = Math.max(settleMs, lastAt + minIntervalMs - Date.now());
      timer = setTimeout(flush, wait);
    },
    flush,
    cancel(): void {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
    set(s: StatusObject): void {
      if (timer) clearTimeout(timer);
      timer = undefined;
      show(s, true);
    },
  };
}

/** A duration in a status text: `57 ms`, `1.4 s`, `12 s`. */
export function formatSeconds(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 1000)} s`;
}
