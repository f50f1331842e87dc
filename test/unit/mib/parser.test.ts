import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { tokenize } from '../../../src/lib/mib/smi-lexer';
import { parseMibText } from '../../../src/lib/mib/smi-parser';

const VENDOR = path.join(__dirname, '..', '..', 'fixtures', 'mibs', 'vendor');

function mod(body: string, imports = ''): string {
  return `TEST-MIB DEFINITIONS ::= BEGIN\n${imports}\n${body}\nEND\n`;
}

describe('mib smi-lexer', () => {
  it('ends a comment at the end of the line or at the next "--" (ASN.1, like net-snmp)', () => {
    const toks = tokenize('a -- comment -- b\n-- whole line\nc ---- d\n');
    assert.deepEqual(toks.map((t) => t.text), ['a', 'b', 'c', 'd']);
  });

  it('keeps "--" inside strings and counts lines across multi-line strings', () => {
    const toks = tokenize('x "one -- two\nthree"\ny');
    assert.equal(toks[1].kind, 'str');
    assert.equal(toks[1].text, 'one -- two\nthree');
    assert.equal(toks[2].text, 'y');
    assert.equal(toks[2].line, 3);
  });

  it('reads hyphenated names, negative numbers, ranges and hex strings', () => {
    const toks = tokenize("mib-2 (-1..10) 'FF'H ::=");
    assert.deepEqual(toks.map((t) => t.text), ['mib-2', '(', '-1', '..', '10', ')', 'H:FF', '::=']);
  });
});

describe('mib smi-parser', () => {
  it('parses OBJECT-TYPE clauses: syntax with enums and size, access, units, index', () => {
    const f = parseMibText(mod(`
t OBJECT IDENTIFIER ::= { iso 3 }
tEntry OBJECT-TYPE
  SYNTAX TEntry
  MAX-ACCESS not-accessible
  STATUS current
  DESCRIPTION "row"
  INDEX { tIndex, IMPLIED tName }
  ::= { t 1 }
tState OBJECT-TYPE
  SYNTAX INTEGER { up(1), down(2) }
  UNITS "states"
  MAX-ACCESS read-only
  STATUS current
  DESCRIPTION "state"
  DEFVAL { { 0 0 } }
  ::= { tEntry 2 }
tName OBJECT-TYPE
  SYNTAX OCTET STRING (SIZE (1..32 | 64))
  MAX-ACCESS read-only
  STATUS current
  DESCRIPTION "name"
  ::= { tEntry 3 }`));
    assert.equal(f.fatal, undefined);
    const m = f.modules[0];
    assert.deepEqual(m.problems, []);
    const entry = m.objects.find((o) => o.name === 'tEntry')!;
    assert.deepEqual(entry.index, [{ name: 'tIndex', implied: false }, { name: 'tName', implied: true }]);
    const state = m.objects.find((o) => o.name === 'tState')!;
    assert.deepEqual(state.syntax?.enums, [[1, 'up'], [2, 'down']]);
    assert.equal(state.units, 'states');
    assert.equal(state.access, 'read-only');
    assert.deepEqual(state.oid, [{ name: 'tEntry' }, { num: 2 }]);
    assert.deepEqual(m.objects.find((o) => o.name === 'tName')!.syntax?.sizes, [[1, 32], [64, 64]]);
  });

  it('reads textual conventions with DISPLAY-HINT and type assignments', () => {
    const f = parseMibText(mod(`
Temp ::= TEXTUAL-CONVENTION
  DISPLAY-HINT "d-1"
  STATUS current
  DESCRIPTION "t"
  SYNTAX Integer32 (-100..100)
Legacy ::= OCTET STRING (SIZE (0..255))
Row ::= SEQUENCE { a INTEGER, b OCTET STRING (SIZE (0..4)) }`));
    const types = f.modules[0].types;
    assert.equal(types.get('Temp')?.hint, 'd-1');
    assert.equal(types.get('Temp')?.syntax.name, 'Integer32');
    assert.deepEqual(types.get('Temp')?.syntax.ranges, [[-100, 100]]);
    assert.equal(types.get('Legacy')?.syntax.name, 'OCTET STRING');
    assert.equal(types.get('Row')?.syntax.name, 'SEQUENCE');
  });

  it('maps a v1 TRAP-TYPE to enterprise.0.specific (RFC 1908)', () => {
    const f = parseMibText(mod('box OBJECT IDENTIFIER ::= { iso 9 }\nboxDown TRAP-TYPE ENTERPRISE box VARIABLES { a } DESCRIPTION "d" ::= 4'));
    assert.deepEqual(f.modules[0].objects[1].oid, [{ name: 'box' }, { num: 0 }, { num: 4 }]);
  });

  it('records imports with the line of each FROM', () => {
    const f = parseMibText(mod('x OBJECT IDENTIFIER ::= { iso 1 }', 'IMPORTS\n  a, b FROM A-MIB\n  c\n  FROM B-MIB;'));
    const m = f.modules[0];
    assert.equal(m.imports.get('b'), 'A-MIB');
    assert.equal(m.imports.get('c'), 'B-MIB');
    assert.equal(m.importLines.get('B-MIB'), 5);
  });

  it('skips MACRO bodies and reads named arcs like org(3)', () => {
    const f = parseMibText(mod('FOO MACRO ::= BEGIN TYPE NOTATION ::= "X" value(VALUE INTEGER) END\nnet OBJECT IDENTIFIER ::= { iso org(3) dod(6) 1 }'));
    assert.deepEqual(f.modules[0].objects[0].oid, [{ name: 'iso' }, { name: 'org', num: 3 }, { name: 'dod', num: 6 }, { num: 1 }]);
    assert.ok(f.modules[0].macros.has('FOO'));
  });

  it('reports a syntax error with its line and keeps the definitions after it', () => {
    const text = mod('a OBJECT IDENTIFIER ::= { iso 1 }\nb OBJECT-TYPE SYNTAX INTEGER { x(1)\n  MAX-ACCESS read-only STATUS current ::= { a 1 }\nc OBJECT IDENTIFIER ::= { a 2 }');
    const m = parseMibText(text).modules[0];
    assert.equal(m.problems.length, 1);
    assert.equal(m.problems[0].line, 5);
    assert.deepEqual(m.objects.map((o) => o.name), ['a', 'c']);
  });

  it('reports a definition that lacks "::=" instead of giving it the next one\'s OID', () => {
    const text = mod('a OBJECT IDENTIFIER ::= { iso 1 }\nb OBJECT-TYPE SYNTAX Integer32 MAX-ACCESS read-only STATUS current DESCRIPTION "no value"\nc OBJECT-TYPE SYNTAX Integer32 MAX-ACCESS read-only STATUS current ::= { a 3 }');
    const m = parseMibText(text).modules[0];
    assert.equal(m.problems.length, 1);
    assert.match(m.problems[0].message, /not terminated by "::=" before "c"/);
    assert.deepEqual(m.objects.map((o) => [o.name, o.oid[o.oid.length - 1].num]), [['a', 1], ['c', 3]]);
  });

  it('gives a fatal problem for empty, binary and header-less files', () => {
    assert.match(parseMibText('').fatal!.message, /empty/);
    assert.match(parseMibText('\u0000\u0001\u0002garbage').fatal!.message, /binary/);
    assert.match(parseMibText('hello world').fatal!.message, /module header/);
  });

  it('reads several modules from one file', () => {
    const f = parseMibText(mod('a OBJECT IDENTIFIER ::= { iso 1 }') + mod('b OBJECT IDENTIFIER ::= { iso 2 }').replace('TEST-MIB', 'OTHER-MIB'));
    assert.deepEqual(f.modules.map((m) => m.name), ['TEST-MIB', 'OTHER-MIB']);
  });

  it('parses the vendor fixtures without problems', () => {
    for (const file of fs.readdirSync(VENDOR)) {
      const f = parseMibText(fs.readFileSync(path.join(VENDOR, file), 'latin1'));
      assert.equal(f.fatal, undefined, file);
      for (const m of f.modules) assert.deepEqual(m.problems, [], `${file}: ${JSON.stringify(m.problems)}`);
    }
  });

  it('never throws on arbitrary text or on a MIB cut or damaged anywhere (property)', () => {
    const good = fs.readFileSync(path.join(VENDOR, 'acme-system.mib'), 'latin1');
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (s) => {
      const f = parseMibText(s);
      assert.ok(f.fatal !== undefined || Array.isArray(f.modules));
    }), { numRuns: 300 });
    fc.assert(fc.property(fc.nat(good.length), fc.nat(good.length), fc.string({ maxLength: 8 }), (a, b, junk) => {
      const [from, to] = a < b ? [a, b] : [b, a];
      const damaged = good.slice(0, from) + junk + good.slice(to);
      parseMibText(damaged);
      parseMibText(good.slice(0, from));
    }), { numRuns: 200 });
  });
});
