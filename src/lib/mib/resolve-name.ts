/**
 * A name as a user types it → numeric OID. Users paste whatever their tool printed
 * (snmptranslate, snmpwalk -On, a vendor's docs), so every net-snmp form is accepted,
 * and an error names the part that is unknown rather than just "bad OID".
 */
import { isNumericOid } from '../common/oid';
import { ROOTS, trieAt, type MibNode, type MibTree, type TrieNode } from './tree';

type NamePart = { kind: 'label' | 'num' | 'string' | 'implied'; text: string };

/** See MibService.resolve for the accepted forms; throws an Error naming what is unknown. */
export function resolveName(tree: MibTree, input: string): string {
  const text = input.trim();
  if (text === '') throw new Error('empty OID name');
  if (isNumericOid(text)) {
    const s = text.charCodeAt(0) === 46 ? text.slice(1) : text;
    for (const a of s.split('.')) if (a.length > 10 || Number(a) > 4294967295) throw new Error(`sub-identifier ${a} out of range in "${input}"`);
    return s.split('.').map((a) => String(Number(a))).join('.');
  }
  let module: string | undefined;
  let rest = text;
  // "::" inside a quoted index is index text, not a module separator.
  const firstQuote = text.search(/["']/);
  const sep = text.indexOf('::');
  if (sep >= 0 && (firstQuote < 0 || sep < firstQuote)) {
    module = text.slice(0, sep);
    rest = text.slice(sep + 2);
    if (!tree.modules.has(module)) throw new Error(`unknown MIB module "${module}" in "${input}"`);
  }
  if (rest.startsWith('.')) rest = rest.slice(1);
  if (rest === '') throw new Error(module !== undefined ? `"${input}" has no object name after "${module}::"` : `"${input}" is not an OID name`);
  const parts = splitName(rest, input);
  const head = parts[0];
  if (head.kind !== 'label') {
    if (module) throw new Error(`"${input}" has no object name after "${module}::"`);
    throw new Error(`"${input}" is not an OID name`);
  }
  let node: MibNode | undefined;
  if (module) {
    node = tree.byQualified.get(module + '::' + head.text);
    if (!node) throw new Error(`"${head.text}" is not defined in module ${module}`);
  } else {
    node = tree.byName.get(head.text)?.[0];
    if (!node) {
      if (ROOTS[head.text] !== undefined) {
        return [String(ROOTS[head.text]), ...suffixArcs(tree, parts.slice(1), undefined, input)].join('.');
      }
      throw new Error(`unknown MIB object name "${head.text}" in "${input}"`);
    }
  }
  return [node.oid, ...suffixArcs(tree, parts.slice(1), node, input)].join('.');
}

function suffixArcs(tree: MibTree, parts: NamePart[], start: MibNode | undefined, input: string): string[] {
  const out: string[] = [];
  let trie: TrieNode | undefined = start ? trieAt(tree.root, start.arcs) : tree.root;
  for (const p of parts) {
    if (p.kind === 'num') {
      out.push(p.text);
      trie = trie?.children?.get(Number(p.text));
    } else if (p.kind === 'label') {
      // A label after the head must name a child (iso.org.dod, system.sysDescr).
      let found: [number, TrieNode] | undefined;
      for (const [arc, child] of trie?.children ?? []) {
        if (child.node?.name === p.text || tree.byName.get(p.text)?.some((n) => n.oid === child.node?.oid)) {
          found = [arc, child];
          break;
        }
      }
      if (!found) throw new Error(`unknown MIB object name "${p.text}" in "${input}"`);
      out.push(String(found[0]));
      trie = found[1];
    } else {
      // RFC 2578 §7.7: a string index is length-prefixed unless IMPLIED.
      const bytes = Buffer.from(p.text, 'utf8');
      if (p.kind === 'string') out.push(String(bytes.length));
      for (const b of bytes) out.push(String(b));
      trie = undefined;
    }
  }
  return out;
}

/** Splits `sysDescr.0`, `x."eth0".2`, `system.sysDescr` into parts. */
function splitName(s: string, input: string): NamePart[] {
  const parts: NamePart[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '"' || c === "'") {
      const end = s.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unterminated quoted index in "${input}"`);
      parts.push({ kind: c === '"' ? 'string' : 'implied', text: s.slice(i + 1, end) });
      i = end + 1;
    } else {
      let end = s.indexOf('.', i);
      if (end < 0) end = s.length;
      const tok = s.slice(i, end);
      if (/^\d+$/.test(tok)) {
        if (tok.length > 10 || Number(tok) > 4294967295) throw new Error(`sub-identifier ${tok} out of range in "${input}"`);
        parts.push({ kind: 'num', text: String(Number(tok)) });
      } else if (/^[A-Za-z][A-Za-z0-9_-]*$/.test(tok)) {
        parts.push({ kind: 'label', text: tok });
      } else {
        throw new Error(`"${tok}" is not a valid part of an OID name in "${input}"`);
      }
      i = end;
    }
    if (i < s.length) {
      if (s[i] !== '.') throw new Error(`expected "." after a quoted index in "${input}"`);
      i++;
      if (i === s.length) throw new Error(`"${input}" ends with a dot`);
    }
  }
  if (parts.length === 0) throw new Error(`"${input}" is not an OID name`);
  return parts;
}
