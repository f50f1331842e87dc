/**
 * A tolerant parser for SMIv1/SMIv2 MIB modules: it extracts what a MIB service needs
 * (OID assignments, object syntax, textual conventions, table indexes, imports) and
 * skips the rest. One bad definition does not lose the module: the parser records the
 * first error with its line and resumes at the next definition, so the good objects of
 * a damaged vendor file still resolve (snmptranslate behaves the same way).
 */
import { Token, tokenize, looksBinary } from './smi-lexer';
import { shownName } from './warnings';

/** One arc of an OID value: `iso`, `3`, or `org(3)`. */
export interface OidComponent {
  name?: string;
  num?: number;
}

/** A parsed ASN.1 type as written in a SYNTAX clause or a type assignment. */
export interface TypeSpec {
  /**
   * A primitive ('INTEGER', 'OCTET STRING', 'OBJECT IDENTIFIER', 'BITS', 'SEQUENCE',
   * 'SEQUENCE OF', 'CHOICE', 'NULL', 'BIT STRING') or a type name ('DisplayString',
   * 'Counter64').
   */
  name: string;
  /** Named numbers of INTEGER/BITS enumerations, in order. */
  enums?: Array<[number, string]>;
  /** SIZE constraint ranges. */
  sizes?: Array<[number, number]>;
  /** Value range constraint. */
  ranges?: Array<[number, number]>;
}

export interface IndexPart {
  name: string;
  implied: boolean;
}

export type DefinitionKind =
  | 'oid' | 'object-type' | 'module-identity' | 'object-identity' | 'notification-type'
  | 'trap-type' | 'group' | 'compliance' | 'capabilities' | 'other-macro';

export interface ParsedObject {
  name: string;
  line: number;
  kind: DefinitionKind;
  /** OID value; for TRAP-TYPE the enterprise and number are turned into `{ enterprise 0 n }`. */
  oid: OidComponent[];
  syntax?: TypeSpec;
  access?: string;
  status?: string;
  units?: string;
  index?: IndexPart[];
  augments?: string;
  description?: string;
}

export interface ParsedType {
  name: string;
  line: number;
  syntax: TypeSpec;
  hint?: string;
  isTextualConvention: boolean;
}

export interface ParseProblem {
  line: number;
  message: string;
}

export interface ParsedModule {
  name: string;
  line: number;
  /** SMIv2 module (has a MODULE-IDENTITY). */
  smiV2: boolean;
  /** Imported symbol → module it comes from. */
  imports: Map<string, string>;
  /** Module name → line of its FROM clause. */
  importLines: Map<string, number>;
  objects: ParsedObject[];
  types: Map<string, ParsedType>;
  /** Macros defined in the module (SNMPv2-SMI, RFC-1212...). */
  macros: Set<string>;
  problems: ParseProblem[];
}

export interface ParsedFile {
  modules: ParsedModule[];
  /** A problem that stopped the file from yielding any module. */
  fatal?: ParseProblem;
}

const MACRO_KINDS: Record<string, DefinitionKind> = {
  'OBJECT-TYPE': 'object-type',
  'MODULE-IDENTITY': 'module-identity',
  'OBJECT-IDENTITY': 'object-identity',
  'NOTIFICATION-TYPE': 'notification-type',
  'TRAP-TYPE': 'trap-type',
  'OBJECT-GROUP': 'group',
  'NOTIFICATION-GROUP': 'group',
  'MODULE-COMPLIANCE': 'compliance',
  'AGENT-CAPABILITIES': 'capabilities',
};

/** Clause keywords whose value is one string. */
const STRING_CLAUSES = new Set([
  'DESCRIPTION', 'REFERENCE', 'DISPLAY-HINT', 'UNITS', 'LAST-UPDATED', 'ORGANIZATION',
  'CONTACT-INFO', 'REVISION', 'PRODUCT-RELEASE',
]);

class SyntaxError extends Error {
  constructor(readonly line: number, message: string) {
    super(message);
  }
}

/** Keywords that end or frame a module: never the type of a type assignment. */
const NOT_A_TYPE = new Set(['END', 'BEGIN', 'DEFINITIONS', 'IMPORTS', 'EXPORTS', 'FROM']);

function describeToken(t: Token | undefined): string {
  if (!t) return 'end of file';
  if (t.kind === 'str') return 'a string';
  return `"${t.text.length > 40 ? t.text.slice(0, 40) + '…' : t.text}"`;
}

class Parser {
  private pos = 0;
  /** DESCRIPTION texts are most of a MIB's bytes and only tools show them. */
  keepDescriptions = false;
  constructor(private readonly toks: Token[]) {}

  peek(offset = 0): Token | undefined {
    return this.toks[this.pos + offset];
  }

  atEnd(): boolean {
    return this.pos >= this.toks.length;
  }

  next(): Token {
    const t = this.toks[this.pos];
    if (!t) throw new SyntaxError(this.lastLine(), 'unexpected end of file');
    this.pos++;
    return t;
  }

  lastLine(): number {
    const t = this.toks[Math.min(this.pos, this.toks.length - 1)];
    return t ? t.line : 1;
  }

  is(text: string, offset = 0): boolean {
    const t = this.toks[this.pos + offset];
    return t !== undefined && t.text === text && t.kind !== 'str';
  }

  expect(text: string): Token {
    const t = this.toks[this.pos];
    if (!t || t.text !== text || t.kind === 'str') {
      throw new SyntaxError(t ? t.line : this.lastLine(), `expected "${text}" but found ${describeToken(t)}`);
    }
    this.pos++;
    return t;
  }

  expectId(): Token {
    const t = this.toks[this.pos];
    if (!t || t.kind !== 'id') {
      throw new SyntaxError(t ? t.line : this.lastLine(), `expected a name but found ${describeToken(t)}`);
    }
    this.pos++;
    return t;
  }

  expectString(): string {
    const t = this.toks[this.pos];
    if (!t || t.kind !== 'str') {
      throw new SyntaxError(t ? t.line : this.lastLine(), `expected a quoted string but found ${describeToken(t)}`);
    }
    this.pos++;
    return t.text;
  }

  /** Skips a balanced {...}, (...) or [...] group starting at the current token. */
  skipGroup(): void {
    const open = this.next();
    const close = open.text === '{' ? '}' : open.text === '(' ? ')' : ']';
    let depth = 1;
    while (depth > 0) {
      const t = this.toks[this.pos];
      if (!t) throw new SyntaxError(open.line, `"${open.text}" is never closed`);
      this.pos++;
      if (t.kind !== 'sym') continue;
      if (t.text === open.text) depth++;
      else if (t.text === close) depth--;
    }
  }

  /** Index of the current token (for error recovery). */
  mark(): number {
    return this.pos;
  }

  reset(pos: number): void {
    this.pos = pos;
  }
}

function parseNumber(text: string): number {
  return Number(text);
}

/** `{ a(1), b(2) }` named numbers, or BITS names. */
function parseNamedNumbers(p: Parser): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  p.expect('{');
  while (!p.is('}')) {
    const name = p.expectId().text;
    p.expect('(');
    const num = p.next();
    if (num.kind !== 'num') throw new SyntaxError(num.line, `expected a number for "${name}" but found ${describeToken(num)}`);
    p.expect(')');
    out.push([parseNumber(num.text), name]);
    if (p.is(',')) p.next();
    else if (!p.is('}')) throw new SyntaxError(p.lastLine(), `expected "," or "}" but found ${describeToken(p.peek())}`);
  }
  p.expect('}');
  return out;
}

function parseBound(p: Parser): number {
  const t = p.next();
  if (t.kind === 'num') return parseNumber(t.text);
  if (t.kind === 'bin') {
    const [radix, body] = t.text.split(':');
    const v = parseInt(body || '0', radix === 'B' ? 2 : 16);
    return Number.isFinite(v) ? v : 0;
  }
  if (t.kind === 'id' && (t.text === 'MIN' || t.text === 'MAX')) return t.text === 'MIN' ? -Infinity : Infinity;
  throw new SyntaxError(t.line, `expected a number in a range but found ${describeToken(t)}`);
}

/** `(a..b | c)` — returns the ranges. */
function parseRanges(p: Parser): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  p.expect('(');
  for (;;) {
    const lo = parseBound(p);
    let hi = lo;
    if (p.is('..')) {
      p.next();
      hi = parseBound(p);
    }
    out.push([lo, hi]);
    if (p.is('|')) { p.next(); continue; }
    break;
  }
  p.expect(')');
  return out;
}

/** A constraint after a type: `(SIZE (...))` or `(range)`. */
function parseConstraint(p: Parser, spec: TypeSpec): void {
  if (p.is('SIZE', 1)) {
    p.expect('(');
    p.expect('SIZE');
    spec.sizes = parseRanges(p);
    p.expect(')');
  } else {
    spec.ranges = parseRanges(p);
  }
}

function parseType(p: Parser): TypeSpec {
  // [APPLICATION n] IMPLICIT ...
  if (p.is('[')) p.skipGroup();
  if (p.is('IMPLICIT') || p.is('EXPLICIT')) p.next();
  const first = p.expectId();
  let spec: TypeSpec;
  switch (first.text) {
    case 'OBJECT':
      p.expect('IDENTIFIER');
      spec = { name: 'OBJECT IDENTIFIER' };
      break;
    case 'OCTET':
      p.expect('STRING');
      spec = { name: 'OCTET STRING' };
      break;
    case 'BIT':
      p.expect('STRING');
      spec = { name: 'BIT STRING' };
      if (p.is('{')) spec.enums = parseNamedNumbers(p);
      break;
    case 'SEQUENCE':
      if (p.is('OF')) {
        p.next();
        parseType(p);
        spec = { name: 'SEQUENCE OF' };
      } else {
        spec = { name: 'SEQUENCE' };
        if (p.is('{')) p.skipGroup();
      }
      return spec;
    case 'CHOICE':
      spec = { name: 'CHOICE' };
      if (p.is('{')) p.skipGroup();
      return spec;
    default:
      spec = { name: first.text };
      // Module.Type external references are rare; keep the type name.
      if (p.is('.') && p.peek(1)?.kind === 'id') {
        p.next();
        spec.name = p.next().text;
      }
      if (p.is('{')) spec.enums = parseNamedNumbers(p);
  }
  if (p.is('(')) parseConstraint(p, spec);
  return spec;
}

/** `{ iso org(3) 6 }` */
function parseOidValue(p: Parser): OidComponent[] {
  const out: OidComponent[] = [];
  const open = p.expect('{');
  while (!p.is('}')) {
    const t = p.next();
    if (t.kind === 'num') {
      out.push({ num: parseNumber(t.text) });
    } else if (t.kind === 'id') {
      if (p.is('(')) {
        p.next();
        const num = p.next();
        if (num.kind !== 'num') throw new SyntaxError(num.line, `expected a number after "${t.text}(" but found ${describeToken(num)}`);
        p.expect(')');
        out.push({ name: t.text, num: parseNumber(num.text) });
      } else {
        out.push({ name: t.text });
      }
    } else if (t.text === ',' || t.text === '.') {
      // tolerated separators in sloppy vendor MIBs
    } else {
      throw new SyntaxError(t.line, `unexpected ${describeToken(t)} in an OBJECT IDENTIFIER value`);
    }
  }
  p.expect('}');
  if (out.length === 0) throw new SyntaxError(open.line, 'empty OBJECT IDENTIFIER value');
  for (const c of out) {
    if (c.num !== undefined && (!Number.isInteger(c.num) || c.num < 0 || c.num > 4294967295)) {
      throw new SyntaxError(open.line, `sub-identifier ${c.num} out of range`);
    }
  }
  return out;
}

function parseIndexList(p: Parser): IndexPart[] {
  const out: IndexPart[] = [];
  p.expect('{');
  while (!p.is('}')) {
    let implied = false;
    if (p.is('IMPLIED')) { p.next(); implied = true; }
    const t = p.next();
    // SMIv1 allowed type names in INDEX (e.g. INTEGER, NetworkAddress): keep them.
    if (t.kind !== 'id') throw new SyntaxError(t.line, `unexpected ${describeToken(t)} in INDEX`);
    let name = t.text;
    if ((name === 'OCTET' || name === 'OBJECT') && p.peek()?.kind === 'id') name += ' ' + p.next().text;
    out.push({ name, implied });
    if (p.is(',')) p.next();
    else if (!p.is('}')) throw new SyntaxError(p.lastLine(), `expected "," or "}" in INDEX but found ${describeToken(p.peek())}`);
  }
  p.expect('}');
  return out;
}

interface Clauses {
  syntax?: TypeSpec;
  access?: string;
  status?: string;
  units?: string;
  hint?: string;
  description?: string;
  index?: IndexPart[];
  augments?: string;
  enterprise?: string;
}

/**
 * Reads macro clauses until `::=` (or, for TEXTUAL-CONVENTION, until after SYNTAX).
 * Unknown clauses are skipped token by token, groups as a whole.
 */
function parseClauses(p: Parser, stopAfterSyntax: boolean, keepDescription: boolean): Clauses {
  const c: Clauses = {};
  for (;;) {
    const t = p.peek();
    if (!t) throw new SyntaxError(p.lastLine(), 'unexpected end of file inside a definition');
    if (t.kind === 'sym' && t.text === '::=') return c;
    if (t.kind === 'id') {
      const kw = t.text;
      if (kw === 'SYNTAX' || kw === 'WRITE-SYNTAX') {
        p.next();
        const spec = parseType(p);
        if (kw === 'SYNTAX' && !c.syntax) c.syntax = spec;
        if (stopAfterSyntax && kw === 'SYNTAX') return c;
        continue;
      }
      if (STRING_CLAUSES.has(kw)) {
        p.next();
        const s = p.expectString();
        if (kw === 'UNITS') c.units = s;
        else if (kw === 'DISPLAY-HINT') c.hint = s;
        else if (kw === 'DESCRIPTION' && keepDescription && c.description === undefined) c.description = s;
        continue;
      }
      if (kw === 'MAX-ACCESS' || kw === 'ACCESS' || kw === 'STATUS') {
        p.next();
        const v = p.expectId().text;
        if (kw === 'STATUS') c.status = v;
        else c.access = v;
        continue;
      }
      if (kw === 'INDEX') {
        p.next();
        c.index = parseIndexList(p);
        continue;
      }
      if (kw === 'AUGMENTS') {
        p.next();
        p.expect('{');
        c.augments = p.expectId().text;
        while (!p.is('}')) p.next();
        p.expect('}');
        continue;
      }
      if (kw === 'ENTERPRISE') {
        p.next();
        const e = p.next();
        if (e.kind === 'id') c.enterprise = e.text;
        else if (e.text === '{') {
          // ENTERPRISE { iso ... } is not allowed but seen; take the last name
          p.reset(p.mark() - 1);
          const comps = parseOidValue(p);
          const last = comps[comps.length - 1];
          c.enterprise = last?.name;
        }
        continue;
      }
      if (stopAfterSyntax && (kw === 'BEGIN' || kw === 'END')) {
        throw new SyntaxError(t.line, 'TEXTUAL-CONVENTION without SYNTAX');
      }
    }
    if (t.kind === 'sym' && (t.text === '{' || t.text === '(' || t.text === '[')) {
      p.skipGroup();
      continue;
    }
    if (t.kind === 'id' && t.text === 'END' && !p.is('::=', 1)) {
      throw new SyntaxError(t.line, 'definition not terminated by "::=" before END');
    }
    // The start of the next definition: this one lacks its "::= { ... }". Without
    // this check it would silently take the next definition's OID.
    if (t.kind === 'id' && !isUpper(t.text)) {
      const n1 = p.peek(1);
      if (n1 && n1.kind === 'id' && (MACRO_KINDS[n1.text] || (n1.text === 'OBJECT' && p.is('IDENTIFIER', 2) && p.is('::=', 3)))) {
        throw new SyntaxError(t.line, `definition not terminated by "::=" before "${t.text}"`);
      }
    }
    p.next();
  }
}

function isUpper(name: string): boolean {
  const c = name.charCodeAt(0);
  return c >= 65 && c <= 90;
}

/**
 * Moves to the start of the next plausible definition after an error: a name followed
 * by a known macro, `OBJECT IDENTIFIER ::=`, or a type name followed by `::=`.
 */
function recover(p: Parser, macros: Set<string>): void {
  p.next();
  while (!p.atEnd()) {
    const t = p.peek()!;
    const n1 = p.peek(1);
    if (t.kind === 'id') {
      if (t.text === 'END' && (!n1 || n1.kind === 'id' && p.is('DEFINITIONS', 2))) return;
      if (n1 && n1.kind === 'id' && (MACRO_KINDS[n1.text] || macros.has(n1.text)) && !isUpper(t.text)) return;
      if (n1 && n1.text === 'OBJECT' && p.is('IDENTIFIER', 2) && p.is('::=', 3)) return;
      if (n1 && n1.text === '::=' && isUpper(t.text)) return;
      if (n1 && n1.text === 'MACRO') return;
    }
    p.next();
  }
}

function parseModuleBody(p: Parser, mod: ParsedModule): void {
  let sawEnd = false;
  while (!p.atEnd()) {
    const t = p.peek()!;
    if (t.kind === 'id' && t.text === 'END') {
      p.next();
      sawEnd = true;
      break;
    }
    const start = p.mark();
    try {
      parseDefinition(p, mod);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      mod.problems.push({ line: err.line, message: err.message });
      p.reset(start);
      recover(p, mod.macros);
    }
  }
  if (!sawEnd) mod.problems.push({ line: p.lastLine(), message: `module ${shownName(mod.name)} has no END` });
}

function parseImports(p: Parser, mod: ParsedModule): void {
  p.expect('IMPORTS');
  let pending: string[] = [];
  while (!p.is(';')) {
    const t = p.next();
    if (t.kind === 'id' && t.text === 'FROM') {
      const from = p.expectId();
      for (const s of pending) mod.imports.set(s, from.text);
      if (!mod.importLines.has(from.text)) mod.importLines.set(from.text, from.line);
      pending = [];
      // ASN.1 allows an OID value after the module name; SMI modules don't use it.
      if (p.is('{')) p.skipGroup();
      continue;
    }
    if (t.kind === 'id') {
      pending.push(t.text);
      continue;
    }
    if (t.text === ',') continue;
    throw new SyntaxError(t.line, `unexpected ${describeToken(t)} in IMPORTS`);
  }
  p.expect(';');
  if (pending.length) throw new SyntaxError(p.lastLine(), `IMPORTS of ${pending.join(', ')} has no FROM`);
}

function parseDefinition(p: Parser, mod: ParsedModule): void {
  const t = p.peek()!;
  if (t.kind === 'id' && t.text === 'IMPORTS') return parseImports(p, mod);
  if (t.kind === 'id' && t.text === 'EXPORTS') {
    while (!p.is(';')) p.next();
    p.next();
    return;
  }
  const nameTok = p.next();
  if (nameTok.kind !== 'id') throw new SyntaxError(nameTok.line, `expected a definition but found ${describeToken(nameTok)}`);
  const name = nameTok.text;
  const second = p.peek();
  if (!second) throw new SyntaxError(nameTok.line, `definition of "${name}" is cut short`);

  if (second.kind === 'id' && second.text === 'MACRO') {
    // A macro definition's body is free-form notation: skip to its END.
    p.next();
    p.expect('::=');
    p.expect('BEGIN');
    while (!p.is('END')) p.next();
    p.next();
    mod.macros.add(name);
    return;
  }

  if (second.kind === 'sym' && second.text === '::=') {
    p.next();
    const value = p.peek();
    if (!value || (value.kind === 'id' && NOT_A_TYPE.has(value.text))) {
      // without this check "x ::=" took END as its type and the module "had no END"
      throw new SyntaxError(nameTok.line, `expected a type or TEXTUAL-CONVENTION after "${shownName(name)} ::=" but found ${describeToken(value)}`);
    }
    if (p.is('TEXTUAL-CONVENTION')) {
      p.next();
      const c = parseClauses(p, true, false);
      if (!c.syntax) throw new SyntaxError(nameTok.line, `TEXTUAL-CONVENTION ${name} has no SYNTAX`);
      mod.types.set(name, { name, line: nameTok.line, syntax: c.syntax, hint: c.hint, isTextualConvention: true });
      return;
    }
    const spec = parseType(p);
    mod.types.set(name, { name, line: nameTok.line, syntax: spec, isTextualConvention: false });
    return;
  }

  if (second.kind === 'id' && (MACRO_KINDS[second.text] || mod.macros.has(second.text) || (isUpper(second.text) && second.text.includes('-') && mod.imports.has(second.text)))) {
    p.next();
    const kind: DefinitionKind = MACRO_KINDS[second.text] ?? 'other-macro';
    const c = parseClauses(p, false, p.keepDescriptions);
    p.expect('::=');
    let oid: OidComponent[];
    if (kind === 'trap-type') {
      const num = p.next();
      if (num.kind !== 'num') throw new SyntaxError(num.line, `expected a trap number but found ${describeToken(num)}`);
      if (!c.enterprise) throw new SyntaxError(nameTok.line, `TRAP-TYPE ${name} has no ENTERPRISE`);
      // RFC 1908 §3.1.2: a v1 trap maps to enterprise.0.specific-trap.
      oid = [{ name: c.enterprise }, { num: 0 }, { num: parseNumber(num.text) }];
    } else {
      oid = parseOidValue(p);
    }
    mod.objects.push({
      name, line: nameTok.line, kind, oid, syntax: c.syntax, access: c.access, status: c.status,
      units: c.units, index: c.index, augments: c.augments, description: c.description,
    });
    if (kind === 'module-identity') mod.smiV2 = true;
    return;
  }

  // `name Type ::= value`: OBJECT IDENTIFIER assignments, and rare other values.
  const spec = parseType(p);
  p.expect('::=');
  if (spec.name === 'OBJECT IDENTIFIER') {
    const oid = parseOidValue(p);
    mod.objects.push({ name, line: nameTok.line, kind: 'oid', oid });
    return;
  }
  if (p.is('{')) p.skipGroup();
  else p.next();
}

export interface ParseOptions {
  /** Keep each object's DESCRIPTION (for tools); default false to save memory. */
  descriptions?: boolean;
}

/**
 * Parses the text of one MIB file. Never throws: problems come back with their line.
 * A file may hold several modules.
 */
export function parseMibText(text: string, options: ParseOptions = {}): ParsedFile {

  if (looksBinary(text)) return { modules: [], fatal: { line: 1, message: 'not a MIB text file (binary content)' } };
  if (text.trim() === '') return { modules: [], fatal: { line: 1, message: 'empty file' } };
  let toks: Token[];
  try {
    toks = tokenize(text);
  } catch (err) {
    return { modules: [], fatal: { line: 1, message: String((err as Error).message) } };
  }
  const p = new Parser(toks);
  p.keepDescriptions = options.descriptions === true;
  const modules: ParsedModule[] = [];
  while (!p.atEnd()) {
    // Find "Name [OID] DEFINITIONS ::= BEGIN"
    const start = p.mark();
    const nameTok = p.peek()!;
    if (nameTok.kind !== 'id') {
      if (modules.length === 0) {
        return { modules, fatal: { line: nameTok.line, message: `expected a module header "NAME DEFINITIONS ::= BEGIN" but found ${describeToken(nameTok)}` } };
      }
      modules[modules.length - 1].problems.push({ line: nameTok.line, message: `unexpected ${describeToken(nameTok)} after END` });
      break;
    }
    p.next();
    try {
      if (p.is('{')) p.skipGroup();
      p.expect('DEFINITIONS');
      // ASN.1 tag defaults (e.g. "IMPLICIT TAGS") may sit between DEFINITIONS and ::=.
      while (!p.atEnd() && !p.is('::=') && p.peek()!.kind === 'id' && p.mark() - start < 8) p.next();
      p.expect('::=');
      p.expect('BEGIN');
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      if (modules.length === 0) return { modules, fatal: { line: err.line, message: `no module header "NAME DEFINITIONS ::= BEGIN" (${err.message})` } };
      modules[modules.length - 1].problems.push({ line: err.line, message: `unexpected text after END: ${err.message}` });
      break;
    }
    const mod: ParsedModule = {
      name: nameTok.text, line: nameTok.line, smiV2: false, imports: new Map(), importLines: new Map(),
      objects: [], types: new Map(), macros: new Set(), problems: [],
    };
    modules.push(mod);
    try {
      parseModuleBody(p, mod);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      mod.problems.push({ line: err.line, message: err.message });
      break;
    }
  }
  return { modules };
}
