/**
 * The cache of describe() answers, bounded in bytes rather than entries.
 *
 * It is keyed by whole instance OIDs, which agents and trap senders choose: a walk of a
 * large table, or a trap flood with random instances (an OID may hold 128 arcs, 1.4 KB
 * of text), names millions of distinct OIDs. A cap of 200,000 entries then held about
 * 300 MB (issue 14, defect 3); this one counts each entry's bytes and holds a small,
 * settable amount.
 *
 * Two generations instead of a per-hit LRU: a hit costs one or two Map lookups and no
 * reordering, which matters at 2,000 varbinds per walked device. New entries go into the
 * young map; when it holds half the budget it becomes the old map (the previous old one
 * is dropped) and a hit in the old map moves the entry back into the young one, so the
 * OIDs a fleet polls every cycle stay while one-off names age out.
 */

/**
 * What an entry costs beyond its key's characters, measured on Node 20: the Map slot,
 * the frozen answer object with its instance string, the key string's header.
 */
export const ENTRY_OVERHEAD_BYTES = 240;

/** 16 MiB: about 60,000 names of interface-table OIDs. */
export const DEFAULT_NAME_CACHE_BYTES = 16 * 1024 * 1024;

export class NameCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private youngBytes = 0;
  private oldBytes = 0;
  private maxBytes: number;

  constructor(maxBytes: number = DEFAULT_NAME_CACHE_BYTES) {
    this.maxBytes = checkedBytes(maxBytes);
  }

  /** The cached answer, or undefined when there is none (`null` is an answer). */
  get(key: string): V | undefined {
    const hit = this.young.get(key);
    if (hit !== undefined) return hit;
    const aged = this.old.get(key);
    if (aged !== undefined) this.set(key, aged);
    return aged;
  }

  set(key: string, value: V): void {
    const cost = entryBytes(key);
    // one entry past half the budget would flush everything else for itself
    if (cost > this.maxBytes / 2) return;
    if (this.youngBytes + cost > this.maxBytes / 2) {
      this.old = this.young;
      this.oldBytes = this.youngBytes;
      this.young = new Map();
      this.youngBytes = 0;
    }
    this.young.set(key, value);
    this.youngBytes += cost;
  }

  /** Bytes held by the entries, as counted (at most the cap). */
  get bytes(): number {
    return this.youngBytes + this.oldBytes;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  get limit(): number {
    return this.maxBytes;
  }

  /** A new cap, in bytes; a smaller one drops the old generation, then the young one if need be. */
  setLimit(maxBytes: number): void {
    this.maxBytes = checkedBytes(maxBytes);
    if (this.bytes <= this.maxBytes) return;
    this.old = new Map();
    this.oldBytes = 0;
    if (this.youngBytes > this.maxBytes / 2) this.clear();
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
    this.youngBytes = 0;
    this.oldBytes = 0;
  }
}

function entryBytes(key: string): number {
  return ENTRY_OVERHEAD_BYTES + key.length;
}

function checkedBytes(n: number): number {
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`the MIB name cache size must be a number of bytes >= 0, got ${n}`);
  return n;
}
