/**
 * Context keys as Node-RED's stores read them: the runtime hands a store the whole
 * property expression (`a.b[0]`, `a["x.y"]`), and the store resolves it. Node-RED's
 * own stores use @node-red/util, which a palette module cannot count on resolving (it
 * lives with the runtime, not beside the palette), so this is the same grammar
 * (`normalisePropertyExpression` of @node-red/util 4.x, without the `[msg.x]` cross
 * references a context key never holds) and the same get/set rules
 * (`getObjectProperty`, `setObjectProperty`).
 */

/** A property expression that is not valid, with the same code Node-RED gives it. */
export class PropertyExpressionError extends Error {
  readonly code = 'INVALID_EXPR';
  constructor(message: string) {
    super(message);
    this.name = 'PropertyExpressionError';
  }
}

export type PathPart = string | number;

function fail(message: string): never {
  throw new PropertyExpressionError(`Invalid property expression: ${message}`);
}

/**
 * Splits a property expression into its parts: `a.b[0]["c.d"]` → `['a', 'b', 0, 'c.d']`.
 * All-digit parts after a dot and numbers in brackets become numbers (array indexes).
 * Throws a {@link PropertyExpressionError} where Node-RED's own stores do.
 */
export function parsePath(str: string): PathPart[] {
  const length = str.length;
  if (length === 0) fail('zero-length');
  const parts: PathPart[] = [];
  let start = 0;
  let inString = false;
  let inBox = false;
  let quote = '';
  for (let i = 0; i < length; i++) {
    const c = str[i];
    if (inString) {
      if (c !== quote) continue;
      if (i - start === 0) fail(`zero-length string at position ${start}`);
      parts.push(str.substring(start, i));
      if (inBox && str[i + 1] !== ']') fail(`unexpected array expression at position ${start}`);
      if (!inBox && i + 1 !== length && str[i + 1] !== '[' && str[i + 1] !== '.') fail(`unexpected ${str[i + 1]} expression at position ${i + 1}`);
      start = i + 1;
      inString = false;
      continue;
    }
    if (c === "'" || c === '"') {
      if (i !== start) fail(`unexpected ${c} at position ${i}`);
      inString = true;
      quote = c;
      start = i + 1;
    } else if (c === '.') {
      if (i === 0) fail('unexpected . at position 0');
      if (start !== i) {
        const v = str.substring(start, i);
        parts.push(/^\d+$/.test(v) ? parseInt(v, 10) : v);
      }
      if (i === length - 1) fail('unterminated expression');
      if (!/[a-z0-9$_]/i.test(str[i + 1])) fail(`unexpected ${str[i + 1]} at position ${i + 1}`);
      start = i + 1;
    } else if (c === '[') {
      if (i === 0) fail(`unexpected ${c} at position ${i}`);
      if (start !== i) parts.push(str.substring(start, i));
      if (i === length - 1) fail('unterminated expression');
      if (!/["'\d]/.test(str[i + 1])) fail(`unexpected ${str[i + 1]} at position ${i + 1}`);
      start = i + 1;
      inBox = true;
    } else if (c === ']') {
      if (!inBox) fail(`unexpected ${c} at position ${i}`);
      if (start !== i) {
        const v = str.substring(start, i);
        if (!/^\d+$/.test(v)) fail(`unexpected array expression at position ${start}`);
        parts.push(parseInt(v, 10));
      }
      start = i + 1;
      inBox = false;
    } else if (c === ' ') {
      fail(`unexpected ' ' at position ${i}`);
    }
  }
  if (inBox || inString) fail('unterminated expression');
  if (start < length) parts.push(str.substring(start));
  return parts;
}

/**
 * The value at `parts` below `root`; undefined when it or a parent is missing (where
 * Node-RED's memory store catches the TypeError of a missing parent).
 */
export function getPath(root: unknown, parts: PathPart[]): unknown {
  let value: any = root;
  for (const part of parts) {
    if (value === null || value === undefined) return undefined;
    value = value[part];
  }
  return value;
}

/**
 * Sets (or with `undefined` deletes) the value at `parts` below `root`, creating missing
 * parents (objects, or arrays before a numeric part) only when setting. Returns false,
 * changing nothing, when a parent is a value that cannot hold properties.
 */
export function setPath(root: Record<string, any>, parts: PathPart[], value: unknown): boolean {
  const create = value !== undefined;
  let obj: any = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const key = parts[i];
    if (typeof key === 'string' || !Array.isArray(obj)) {
      if (Object.prototype.hasOwnProperty.call(obj, key)) {
        const next = obj[key];
        if ((typeof next !== 'object' && typeof next !== 'function') || next === null) return false;
        obj = next;
      } else if (create) {
        obj[key] = typeof parts[i + 1] === 'string' ? {} : [];
        obj = obj[key];
      } else {
        return false;
      }
    } else if (obj[key] === undefined) {
      if (!create) return false;
      obj[key] = typeof parts[i + 1] === 'string' ? {} : [];
      obj = obj[key];
    } else {
      obj = obj[key];
    }
  }
  const last = parts[parts.length - 1];
  if (value === undefined) {
    if (typeof last === 'number' && Array.isArray(obj)) obj.splice(last, 1);
    else delete obj[last];
    return true;
  }
  if (typeof obj !== 'object' || obj === null) return false;
  obj[last] = value;
  return true;
}
