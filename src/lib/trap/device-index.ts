/**
 * Names trap senders from the linked inventories. Senders arrive as the socket spells
 * them (IPv6 compressed and lower-case, link-local with its `%zone`, IPv4 for an IPv4
 * sender on a dual-stack socket once normalizeAddress has run); inventories are typed
 * by people (`2001:DB8:0::5`, `::ffff:10.0.0.1`, host names). Both sides meet through
 * addressKey, and host names are resolved once, asynchronously, at start.
 */
import * as dns from 'dns';
import * as net from 'net';
import type { Device, SnmpProfile } from '../common/types';

const MAPPED_V4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/;

/**
 * The key an IP address is indexed and looked up by: IPv4 as is, IPv4-mapped IPv6 as
 * IPv4, other IPv6 compressed and lower-case with its zone kept (`fe80::5%eth0`);
 * undefined for a host name.
 */
export function addressKey(host: string): string | undefined {
  if (net.isIPv4(host)) return host;
  const percent = host.indexOf('%');
  const bare = percent < 0 ? host : host.slice(0, percent);
  if (!net.isIPv6(bare)) return undefined;
  let canonical: string;
  try {
    // drops a zone, hence the split above
    canonical = new net.SocketAddress({ address: bare, family: 'ipv6' }).address;
  } catch {
    canonical = bare.toLowerCase();
  }
  const mapped = MAPPED_V4.exec(canonical);
  if (mapped) return mapped[1];
  return percent < 0 ? canonical : `${canonical}${host.slice(percent)}`;
}

/** All addresses of a host name (A and AAAA, /etc/hosts included). */
export type HostLookup = (host: string) => Promise<string[]>;

/** dns.lookup with all: true (the system resolver, as ping or snmpget would use). */
export const systemLookup: HostLookup = (host) => new Promise((resolve, reject) => {
  dns.lookup(host, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses.map((a) => a.address))));
});

export interface ResolveOptions {
  /** Lookups in flight at once: dns.lookup occupies a libuv thread, of which there are 4. */
  concurrency?: number;
  /** After this no lookup starts and the names not resolved by then stay unresolved. */
  deadlineMs?: number;
  signal?: AbortSignal;
}

/** Address → inventory device of the linked inventories (first config wins). */
export class DeviceIndex {
  private readonly byAddress = new Map<string, Device>();
  /** Host names in inventory order, each with its first device. */
  private readonly byName = new Map<string, Device>();

  constructor(profiles: SnmpProfile[]) {
    for (const p of profiles) {
      for (const d of p.inventory) {
        const key = addressKey(d.host);
        if (key !== undefined) {
          if (!this.byAddress.has(key)) this.byAddress.set(key, d);
        } else {
          const name = d.host.toLowerCase().replace(/\.$/, '');
          if (!this.byName.has(name)) this.byName.set(name, d);
        }
      }
    }
  }

  /**
   * The inventory device of a sender address as the listener reports it (the socket
   * spells IPv6 as addressKey does, so the hot path is one map lookup).
   */
  get(address: string): Device | undefined {
    const d = this.byAddress.get(address);
    if (d !== undefined) return d;
    // a zoneless inventory entry names the sender on any interface
    const percent = address.indexOf('%');
    return percent > 0 ? this.byAddress.get(address.slice(0, percent)) : undefined;
  }

  /** Host names of the inventories (not IP addresses), in inventory order. */
  get hostNames(): string[] {
    return [...this.byName.keys()];
  }

  /**
   * Resolves the host names once and indexes their addresses, in inventory order after
   * the IP entries (an address listed as such wins). Never rejects; resolves with the
   * names that gave no address (failed, timed out or not tried before the deadline).
   */
  async resolveNames(lookup: HostLookup = systemLookup, options: ResolveOptions = {}): Promise<string[]> {
    const names = this.hostNames;
    if (names.length === 0) return [];
    const { concurrency = 2, deadlineMs = 10_000, signal } = options;
    const results: Array<string[] | undefined> = new Array(names.length);
    let next = 0;
    let expired = false;
    const worker = async () => {
      while (!expired && !signal?.aborted && next < names.length) {
        const i = next++;
        try {
          results[i] = await lookup(names[i]);
        } catch {
          results[i] = undefined;
        }
      }
    };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => { expired = true; resolve(); }, deadlineMs);
      timer.unref?.();
    });
    try {
      const workers = Array.from({ length: Math.min(concurrency, names.length) }, worker);
      await Promise.race([Promise.all(workers), deadline]);
    } finally {
      clearTimeout(timer);
      expired = true;
    }
    const unresolved: string[] = [];
    names.forEach((name, i) => {
      const addresses = results[i];
      if (!addresses || addresses.length === 0) {
        unresolved.push(name);
        return;
      }
      const device = this.byName.get(name) as Device;
      for (const a of addresses) {
        const key = addressKey(a);
        if (key !== undefined && !this.byAddress.has(key)) this.byAddress.set(key, device);
      }
    });
    return unresolved;
  }
}
