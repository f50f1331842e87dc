/**
 * Numeric OID helpers. OIDs are dotted strings without a leading dot ("1.3.6.1.2.1.1.3.0"),
 * the form net-snmp uses on the wire side.
 */

import { clip } from './properties';

const NUMERIC_OID = /^\.?(\d+)(\.\d+)*$/;

/** True when the text is a numeric OID (optionally with a leading dot). */
export function isNumericOid(text: string): boolean {
  return NUMERIC_OID.test(text);
}

/** Removes a leading dot; checks every arc fits in 32 bits (RFC 2578 §3.5: at most 2^32-1). */
export function normalizeOid(text: string): string {
  const oid = text.startsWith('.') ? text.slice(1) : text;
  if (!NUMERIC_OID.test(oid)) throw new Error(`not a numeric OID: ${JSON.stringify(text.slice(0, 80))}`);
  const arcs = oid.split('.');
  if (arcs.length > 128) throw new Error('OID has more than 128 arcs');
  for (const arc of arcs) {
    if (arc.length > 10 || Number(arc) > 0xffffffff) throw new Error(`OID arc out of range: ${arc}`);
  }
  return oid;
}

/**
 * Why an OID cannot be asked for on the wire, or undefined when it can. BER (X.690
 * §8.19.4) needs two arcs at least, a first arc of 0, 1 or 2 and, under 0 and 1, a second
 * arc below 40. net-snmp writes the first two arcs as one byte (first × 40 + second) and
 * reads that byte back as (byte / 40, byte % 40), so an OID beyond those bounds went out as
 * another OID ("7.1.2" as 0.25.2) and, under 2, a second arc of 40 or more came back as
 * another ("2.40.1" as 3.0.1): such an OID is refused instead.
 */
export function unsendableOid(oid: string): string | undefined {
  const dot = oid.indexOf('.');
  if (dot < 0) return `OID ${oid} has one arc; an OID has two at least`;
  const first = Number(oid.slice(0, dot));
  const next = oid.indexOf('.', dot + 1);
  const second = Number(oid.slice(dot + 1, next < 0 ? undefined : next));
  if (first > 2) return `OID ${clip(oid)} starts with ${first}: the first arc is 0, 1 or 2`;
  if (second >= 40) return `OID ${clip(oid)}: the second arc must be below 40 (net-snmp carries the first two arcs in one byte)`;
  return undefined;
}

/**
 * Lexicographic comparison of two numeric OIDs arc by arc (RFC 3416 §4.2.2 ordering).
 * Returns <0, 0 or >0. Works on strings without splitting in the common case.
 */
export function compareOids(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const la = a.length;
  const lb = b.length;
  while (i < la && j < lb) {
    // read one arc from each
    let na = 0;
    let ea = i;
    while (ea < la && a.charCodeAt(ea) !== 46) { na = na * 10 + (a.charCodeAt(ea) - 48); ea++; }
    let nb = 0;
    let eb = j;
    while (eb < lb && b.charCodeAt(eb) !== 46) { nb = nb * 10 + (b.charCodeAt(eb) - 48); eb++; }
    if (na !== nb) return na < nb ? -1 : 1;
    i = ea + 1;
    j = eb + 1;
  }
  // one is a prefix of the other: the shorter sorts first
  const restA = i < la ? 1 : 0;
  const restB = j < lb ? 1 : 0;
  return restA - restB;
}

/** True when `oid` lies strictly inside the subtree rooted at `root`. */
export function isUnder(oid: string, root: string): boolean {
  return oid.length > root.length && oid.charCodeAt(root.length) === 46 && oid.startsWith(root);
}

/** The instance suffix of `oid` under `root` ("" when equal), or undefined when outside. */
export function suffixUnder(oid: string, root: string): string | undefined {
  if (oid === root) return '';
  return isUnder(oid, root) ? oid.slice(root.length + 1) : undefined;
}
