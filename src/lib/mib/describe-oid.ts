/**
 * Numeric OID → the deepest loaded object above it, as snmptranslate names it. This
 * runs for every varbind that misses the describe() cache, so it walks the trie on
 * the string's characters instead of splitting it.
 */
import type { MibObjectInfo } from './types';
import type { MibNode, TrieNode } from './tree';

/** undefined for malformed OIDs and OIDs under no loaded object. */
export function describeOid(root: TrieNode, oid: string): MibObjectInfo | undefined {
  if (typeof oid !== 'string') return undefined;
  const n = oid.length;
  let i = oid.charCodeAt(0) === 46 ? 1 : 0;
  let t: TrieNode | undefined = root;
  let best: MibNode | undefined;
  let bestEnd = -1;
  while (i < n) {
    let arc = 0;
    const start = i;
    while (i < n) {
      const c = oid.charCodeAt(i);
      if (c === 46) break;
      if (c < 48 || c > 57) return undefined;
      arc = arc * 10 + (c - 48);
      i++;
    }
    if (i === start || arc > 4294967295) return undefined;
    if (t) {
      t = t.children?.get(arc);
      if (t?.node) {
        best = t.node;
        bestEnd = i;
      }
    }
    if (i < n) {
      i++; // the dot
      if (i === n) return undefined; // trailing dot
    }
  }
  if (!best) return undefined;
  if (bestEnd === n) return best.info;
  return Object.freeze({ ...best.info, instance: oid.slice(bestEnd + 1) });
}
