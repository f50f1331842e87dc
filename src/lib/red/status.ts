/**
 * Coalesces a node's status updates: a burst of messages (one poll cycle of a fleet)
 * ends in one status call, and never more than one per `minIntervalMs`. Identical
 * statuses are not sent again. Used by counter-rate and threshold-alert.
 */

export interface StatusShape {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export interface StatusThrottle {
  /** Asks for a status refresh; `compute` runs when the update is due. */
  request(): void;
  /** Applies the current status now (startup, errors). */
  flush(): void;
  /** Cancels a pending update (on close). */
  cancel(): void;
}

/**
 * @param compute builds the status from the node's current state, when due
 * @param apply   the node's `status()` call
 * @param settleMs wait after the first request of a burst, so the burst can end
 * @param minIntervalMs minimum spacing of two updates
 */
export function statusThrottle(
  compute: () => StatusShape,
  apply: (s: StatusShape) => void,
  settleMs = 100,
  minIntervalMs = 1000,
): StatusThrottle {
  let timer: NodeJS.Timeout | undefined;
  let lastKey = '';
  let lastAt = -Infinity;

  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const s = compute();
    const key = `${s.fill}|${s.shape}|${s.text}`;
    if (key === lastKey) return;
    lastKey = key;
    lastAt = Date.now();
    apply(s);
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
  };
}
