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
