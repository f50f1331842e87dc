/**
 * IP address literals, answered exactly as Node's net.isIP / isIPv4 / isIPv6 answer them
 * (Node 20, lib/internal/net.js), without Node: the inventory grammar that uses them is
 * also bundled for the editor (resources/snmp-fleet-inventory.js).
 *
 * - IPv4: a dotted quad of 0-255, no leading zeros ("01.2.3.4" is not an address).
 * - IPv6: eight groups of 1-4 hex digits; one "::" stands for at least one zero group;
 *   the last 32 bits may be written as a dotted quad ("::ffff:192.0.2.1"); a zone id may
 *   follow after "%" (letters, digits, "-", "." and ":", as in "fe80::1%eth0").
 *
 * test/unit/common/ip.test.ts checks them against net on random and mutated addresses.
 */

const V4_PART = /^(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])$/;
const V6_GROUP = /^[0-9a-fA-F]{1,4}$/;
const ZONE_ID = /^[0-9a-zA-Z.:-]+$/;

export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => V4_PART.test(p));
}

export function isIPv6(s: string): boolean {
  let address = s;
  const percent = s.indexOf('%');
  if (percent >= 0) {
    if (!ZONE_ID.test(s.slice(percent + 1))) return false;
    address = s.slice(0, percent);
  }
  const halves = address.split('::');
  if (halves.length > 2) return false;
  const compressed = halves.length === 2;
  const groups = halves.map((h) => (h === '' ? [] : h.split(':')));
  // a dotted quad may only close the address, and stands for two groups
  const last = groups[groups.length - 1];
  let count = 0;
  if (last.length > 0 && last[last.length - 1].includes('.')) {
    if (!isIPv4(last.pop() as string)) return false;
    count = 2;
  }
  for (const half of groups) {
    for (const g of half) {
      if (!V6_GROUP.test(g)) return false;
      count++;
    }
  }
  return compressed ? count <= 7 : count === 8;
}

/** 4 for an IPv4 address, 6 for an IPv6 address, 0 otherwise (as net.isIP). */
export function isIP(s: string): 0 | 4 | 6 {
  if (isIPv4(s)) return 4;
  if (isIPv6(s)) return 6;
  return 0;
}

/**
 * The one spelling of an IPv6 address (RFC 5952 §4: lower-case hex without leading
 * zeros, the longest run of two or more zero groups as "::", the first when tied),
 * keeping a zone id as written; the last 32 bits dotted after "::" or "::ffff:" (IPv4
 * compatible and mapped), as libuv's inet_ntop writes them. Equals Node's
 * net.SocketAddress spelling. The input must pass isIPv6.
 */
export function canonicalIPv6(s: string): string {
  const percent = s.indexOf('%');
  const address = percent >= 0 ? s.slice(0, percent) : s;
  const zone = percent >= 0 ? s.slice(percent) : '';
  const halves = address.split('::').map((h) => (h === '' ? [] : h.split(':')));
  const toGroups = (words: string[]): number[] => words.flatMap((w) => {
    if (!w.includes('.')) return [parseInt(w, 16)];
    const [a, b, c, d] = w.split('.').map(Number);
    return [a * 256 + b, c * 256 + d];
  });
  const head = toGroups(halves[0]);
  const tail = halves.length === 2 ? toGroups(halves[1]) : [];
  const groups = halves.length === 2 ? [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail] : head;
  let bestAt = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestAt = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestAt === 0 && (bestLength === 6 || (bestLength === 5 && groups[5] === 0xffff))) {
    const quad = `${groups[6] >> 8}.${groups[6] & 0xff}.${groups[7] >> 8}.${groups[7] & 0xff}`;
    return `::${bestLength === 5 ? 'ffff:' : ''}${quad}${zone}`;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestAt < 0) return hex.join(':') + zone;
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLength).join(':')}${zone}`;
}
