/**
 * A first-in first-out queue over an array and a read index. `Array#shift` moves every
 * element on each take, which a queue of a fleet's devices (thousands) pays per device;
 * here a take is a slot cleared, and the taken front is dropped once it is most of the
 * array (at `compactAt` taken or more), so a queue that never quite empties stays bounded.
 */
export class Fifo<T> {
  private items: Array<T | undefined> = [];
  private head = 0;

  constructor(private readonly compactAt = 1024) {}

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The front item, left in place; undefined when empty. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** Takes the front item; undefined when empty. */
  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= this.compactAt && this.head * 2 >= this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return item;
  }

  /** Empties the queue. */
  clear(): void {
    this.items.length = 0;
    this.head = 0;
  }

  /** Empties the queue and returns what it held, front first. */
  drain(): T[] {
    const rest = this.items.slice(this.head) as T[];
    this.clear();
    return rest;
  }
}
