/**
 * Follows a SYNTAX through textual conventions down to its SMI base type, collecting
 * the enums, sizes and DISPLAY-HINT met on the way: what decides how a value is shown
 * and how a table index is cut.
 */
import { BUILTIN_TCS } from './builtin-tcs';
import type { TypeSpec } from './smi-parser';
import type { LoadedModule, ResolvedType } from './tree';

/** SMI application types: the end of a type chain (their ASN.1 definition is a tag). */
export const APPLICATION_TYPES = new Set([
  'Integer32', 'Unsigned32', 'Counter32', 'Counter64', 'Gauge32', 'TimeTicks', 'IpAddress',
  'Opaque', 'Counter', 'Gauge', 'NetworkAddress',
]);

const PRIMITIVES = new Set([
  'INTEGER', 'OCTET STRING', 'OBJECT IDENTIFIER', 'BITS', 'BIT STRING', 'SEQUENCE',
  'SEQUENCE OF', 'CHOICE', 'NULL',
]);

/**
 * The resolved type of `spec` as written in module `lm`. `seen` stops convention
 * cycles (and absurdly deep chains) in broken MIBs; the answer is then the type as far
 * as it got.
 */
export function resolveType(modules: Map<string, LoadedModule>, lm: LoadedModule, spec: TypeSpec, seen: Set<string>): ResolvedType {
  const out: ResolvedType = { syntax: spec.name, base: spec.name };
  if (spec.enums) out.enums = spec.enums;
  if (spec.sizes) out.sizes = spec.sizes;
  if (PRIMITIVES.has(spec.name) || APPLICATION_TYPES.has(spec.name)) {
    if (spec.name === 'BIT STRING') out.base = 'BITS';
    return out;
  }
  const key = lm.parsed.name + '::' + spec.name;
  if (seen.has(key) || seen.size > 16) return out;
  seen.add(key);
  const found = findType(modules, lm, spec.name);
  if (!found) return out;
  const [srcMod, def] = found;
  const inner = srcMod ? resolveType(modules, srcMod, def.syntax, seen) : resolveBuiltin(def.syntax);
  out.base = inner.base;
  if (!out.enums && inner.enums) out.enums = inner.enums;
  if (!out.sizes && inner.sizes) out.sizes = inner.sizes;
  out.hint = def.hint ?? inner.hint;
  return out;
}

function resolveBuiltin(spec: TypeSpec): ResolvedType {
  return { syntax: spec.name, base: spec.name, enums: spec.enums, sizes: spec.sizes };
}

/**
 * A type definition by name in a module's scope: local, imported, builtin, then any
 * module, since vendor MIBs often use a convention they forgot to import.
 */
function findType(modules: Map<string, LoadedModule>, lm: LoadedModule, name: string): [LoadedModule | undefined, { syntax: TypeSpec; hint?: string }] | undefined {
  const local = lm.parsed.types.get(name);
  if (local) return [lm, local];
  const from = lm.parsed.imports.get(name);
  if (from) {
    const src = modules.get(from);
    const t = src?.parsed.types.get(name);
    if (src && t) return [src, t];
  }
  const builtin = BUILTIN_TCS[name];
  if (builtin) return [undefined, builtin];
  for (const other of modules.values()) {
    const t = other.parsed.types.get(name);
    if (t) return [other, t];
  }
  return undefined;
}
