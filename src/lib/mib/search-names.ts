/**
 * Name search for the editor's completion list: what the user most likely means comes
 * first (an exact name, then names starting with the text, then names containing it,
 * each shortest first), and each object appears once however many modules define it.
 */
import { isNumericOid } from '../common/oid';
import { searchHit, type MibTree } from './tree';
import type { MibSearchHit } from './types';

/** See MibService.search. */
export function searchNames(tree: MibTree, text: string, limit: number): MibSearchHit[] {
  const max = Math.max(0, Math.min(Math.floor(limit) || 0, 1000));
  let q = String(text ?? '').trim();
  if (q === '' || max === 0) return [];
  if (q.length > 200) q = q.slice(0, 200);
  if (isNumericOid(q) || /^\.?\d+(\.\d+)*\.$/.test(q)) {
    const prefix = q.replace(/^\./, '');
    return tree.searchList
      .filter((h) => h.oid === prefix || h.oid.startsWith(prefix.endsWith('.') ? prefix : prefix + '.') || h.oid.startsWith(prefix))
      .sort((a, b) => a.oid.length - b.oid.length || (a.oid < b.oid ? -1 : 1))
      .slice(0, max);
  }
  let modulePart: string | undefined;
  const sep = q.indexOf('::');
  if (sep >= 0) {
    modulePart = q.slice(0, sep).toLowerCase();
    q = q.slice(sep + 2);
  }
  const needle = q.toLowerCase();
  const exact: MibSearchHit[] = [];
  const prefix: MibSearchHit[] = [];
  const substring: MibSearchHit[] = [];
  const seen = new Set<string>();
  for (const h of tree.searchList) {
    if (modulePart !== undefined && !h.module.toLowerCase().startsWith(modulePart)) continue;
    const name = h.name.toLowerCase();
    const at = needle === '' ? 0 : name.indexOf(needle);
    if (at < 0) continue;
    // One hit per name and OID: RFC1213-MIB and IF-MIB both define ifDescr.
    const key = h.name + ' ' + h.oid;
    if (seen.has(key)) continue;
    seen.add(key);
    const preferred = tree.byOid.get(h.oid);
    const hit = preferred && preferred.name === h.name ? searchHit(preferred) : h;
    if (name === needle) exact.push(hit);
    else if (at === 0) prefix.push(hit);
    else substring.push(hit);
  }
  const byLength = (a: MibSearchHit, b: MibSearchHit) => a.name.length - b.name.length || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  prefix.sort(byLength);
  substring.sort(byLength);
  return exact.concat(prefix, substring).slice(0, max);
}
