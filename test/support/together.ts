/**
 * Starting a test's servers side by side. With Promise.all, one that fails to start
 * (a port taken, a slow disk) leaves the others running with no one to stop them: the
 * before() hook has not assigned them yet, so after() cannot see them. Here, when one
 * fails, those that started are stopped (their `stop()` or `close()`) before the
 * failure is thrown.
 */
type Stoppable = { stop?: () => unknown; close?: () => unknown };

export async function startTogether<T extends readonly unknown[]>(starts: readonly [...{ [K in keyof T]: Promise<T[K]> }]): Promise<T> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failed) return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
  await stopQuietly(settled.map((r) => (r.status === 'fulfilled' ? r.value : undefined)));
  throw failed.reason;
}

/**
 * Stops each of `servers` that has a `stop()` (else a `close()`), side by side, ignoring
 * their errors: for a setup that already failed, whose own failure is the one to report.
 */
export async function stopQuietly(servers: readonly unknown[]): Promise<void> {
  await Promise.all(servers.map(async (v) => {
    if (v === null || typeof v !== 'object') return;
    const s = v as Stoppable;
    try {
      if (typeof s.stop === 'function') await s.stop();
      else if (typeof s.close === 'function') await s.close();
    } catch {
      // the setup's own failure is the one to report
    }
  }));
}
