/**
 * The source allow-list of a listener: CIDRs and single addresses, IPv4 and IPv6,
 * one per line (`#` comments allowed). Empty means every source is allowed.
 */
import * as net from 'net';

/** Thrown with a message naming the bad line. */
export class AllowListError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AllowListError';
  }
}

/** Bound on the per-address verdict cache (sources on a trap port are few). */
const CACHE_MAX = 4096;

/** IPv4-mapped IPv6 (a dual-stack socket's view of an IPv4 sender) as plain IPv4. */
export function normalizeAddress(address: string): string {
  if (address.length > 7 && address.charCodeAt(0) === 58 && /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address)) return address.slice(7);
  return address;
}

/**
 * The address without its IPv6 zone: the socket names a link-local sender with the
 * interface it came in on (`fe80::1%eth0`).
 */
export function stripZone(address: string): string {
  const i = address.indexOf('%');
  return i < 0 ? address : address.slice(0, i);
}

export class AllowList {
  private readonly list = new net.BlockList();
  private readonly cache = new Map<string, boolean>();
  /** The entries, normalized ("10.0.0.0/8"), in order. */
  readonly entries: string[] = [];

  /** Parses the text; throws AllowListError naming the first bad line. */
  constructor(text: string) {
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].replace(/#.*$/, '').trim();
      if (!line) continue;
      for (const word of line.split(/[\s,]+/).filter(Boolean)) this.add(word, i + 1);
    }
  }

  private add(word: string, lineNo: number): void {
    const slash = word.indexOf('/');
    const addr = slash < 0 ? word : word.slice(0, slash);
    const family = net.isIPv4(addr) ? 'ipv4' : net.isIPv6(addr) ? 'ipv6' : undefined;
    const shown = word.length > 60 ? `${word.slice(0, 57)}...` : word;
    // entries apply on every interface; a zone would silently be ignored by BlockList
    if (addr.includes('%')) throw new AllowListError(`allow-list line ${lineNo}: "${shown}": leave out the zone (%...), entries apply on every interface`);
    if (!family) throw new AllowListError(`allow-list line ${lineNo}: "${shown}" is not an IP address or CIDR`);
    const max = family === 'ipv4' ? 32 : 128;
    let prefix = max;
    if (slash >= 0) {
      const p = word.slice(slash + 1);
      if (!/^\d{1,3}$/.test(p) || Number(p) > max) throw new AllowListError(`allow-list line ${lineNo}: prefix of "${shown}" must be 0-${max}`);
      prefix = Number(p);
    }
    this.list.addSubnet(addr, prefix, family);
    if (family === 'ipv4') {
      // a dual-stack socket reports IPv4 senders as ::ffff:a.b.c.d; normalizeAddress undoes that
      this.entries.push(`${addr}/${prefix}`);
    } else {
      this.entries.push(`${addr.toLowerCase()}/${prefix}`);
    }
  }

  get isEmpty(): boolean {
    return this.entries.length === 0;
  }

  /** Canonical text for comparing the settings of two nodes. */
  get key(): string {
    return this.entries.join(',');
  }

  /** True when `address` (already normalized, with or without a zone) may send to us. */
  allows(address: string): boolean {
    if (this.entries.length === 0) return true;
    let verdict = this.cache.get(address);
    if (verdict === undefined) {
      // entries carry no zone, and what BlockList makes of one is undocumented (a second '%' refuses)
      const bare = stripZone(address);
      const family = net.isIPv4(bare) ? 'ipv4' : 'ipv6';
      try {
        verdict = this.list.check(bare, family);
      } catch {
        verdict = false;
      }
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      this.cache.set(address, verdict);
    }
    return verdict;
  }
}
