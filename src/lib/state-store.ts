/**
 * Keeps one node's state object in a Node-RED context store under one key, through a
 * narrow interface (no node-red import). Always uses the callback forms of get/set:
 * a file store without cache only supports asynchronous access, and a callback turns
 * a store failure into an error we can report instead of a throw.
 */

/** The part of `node.context()` used here. */
export interface ContextLike {
  get(key: string, store: string | undefined, cb: (err: Error | undefined | null, value: unknown) => void): void;
  set(key: string, value: unknown, store: string | undefined, cb: (err: Error | undefined | null) => void): void;
}

export class StateStore {
  private failedOnce = false;

  /**
   * @param context the node's context
   * @param key the context key holding the state
   * @param store the context store name; empty = the default store
   * @param onError reports a store failure (called once, later failures are quiet)
   */
  constructor(
    private readonly context: ContextLike,
    private readonly key: string,
    private readonly store: string | undefined,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Reads the stored state; undefined when none or when the store fails. */
  load(): Promise<unknown> {
    return new Promise((resolve) => {
      try {
        this.context.get(this.key, this.store || undefined, (err, value) => {
          if (err) this.fail(err);
          resolve(err ? undefined : value);
        });
      } catch (err) {
        this.fail(err as Error);
        resolve(undefined);
      }
    });
  }

  /**
   * Writes the state. Memory and cached file stores keep the object by reference, so
   * this is cheap; a file store flushes it on its own interval and on close.
   */
  save(value: unknown): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.context.set(this.key, value, this.store || undefined, (err) => {
          if (err) this.fail(err);
          resolve();
        });
      } catch (err) {
        this.fail(err as Error);
        resolve();
      }
    });
  }

  private fail(err: Error): void {
    if (this.failedOnce) return;
    this.failedOnce = true;
    this.onError(err);
  }
}
