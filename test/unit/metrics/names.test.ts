/**
 * Metric and label names, and the escaping of label values and HELP text, against the
 * exposition formats' grammar: any string survives escaping and reads back the same.
 */
import { strict as assert } from 'assert';
import fc from 'fast-check';
import { escapeHelp, escapeLabelValue, isValidPrefix, labelName, MAX_LABEL_VALUE, metricName, renderLabels } from '../../../src/lib/metrics/names';

/** Reads a label value back as Prometheus's text parser does (lexer: \\ \" \n). */
function unescapeLabelValue(escaped: string): string {
  return escaped.replace(/\\(["\\n])/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

describe('metrics names', () => {
  it('names metrics after MIB objects, keeping their case, with the prefix', () => {
    assert.equal(metricName('snmp_', 'ifHCInOctets'), 'snmp_ifHCInOctets');
    assert.equal(metricName('', 'sysUpTime'), 'sysUpTime');
    assert.equal(metricName('snmp_', '1.3.6.1.4.1.9'), 'snmp_1_3_6_1_4_1_9');
    assert.equal(metricName('', '1.3.6'), '_1_3_6', 'a name may not start with a digit');
    assert.equal(metricName('snmp_', 'in bps/€'), 'snmp_in_bps__');
    assert.equal(metricName('snmp_', ''), undefined);
    assert.equal(metricName('snmp_', 'x'.repeat(201)), undefined, 'a field name that long is not a MIB name');
  });

  it('makes every field a valid metric name or refuses it', () => {
    fc.assert(fc.property(fc.string({ maxLength: 250 }), (field) => {
      const n = metricName('snmp_', field);
      if (n !== undefined) assert.match(n, /^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
      else assert.ok(field.length === 0 || field.length > 200);
    }));
  });

  it('turns inventory keys into label names and keeps __ for Prometheus', () => {
    assert.equal(labelName('site'), 'site');
    assert.equal(labelName('rack-row.2'), 'rack_row_2');
    assert.equal(labelName('2nd'), '_2nd');
    assert.equal(labelName('__name__'), 'label__name__');
    assert.equal(labelName(''), undefined);
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 100 }), (key) => {
      const n = labelName(key)!;
      assert.match(n, /^[a-zA-Z_][a-zA-Z0-9_]*$/);
      assert.ok(!n.startsWith('__'));
    }));
  });

  it('escapes label values so that any string reads back unchanged', () => {
    assert.equal(escapeLabelValue('a "b" \\ c\nd'), 'a \\"b\\" \\\\ c\\nd');
    assert.equal(escapeLabelValue('Zürich ✓ 東京'), 'Zürich ✓ 東京');
    // the characters that matter, a lone surrogate among them (fast-check's 'binary' unit is slow to generate)
    const tricky = fc.array(fc.constantFrom('\\', '"', '\n', '\r', 'a', 'ü', '😀', '\ud83d', '}', ',', '=', '{'), { maxLength: 40 }).map((a) => a.join(''));
    fc.assert(fc.property(fc.oneof(tricky, fc.string()), (v) => {
      const e = escapeLabelValue(v);
      assert.doesNotMatch(e, /\n/, 'no raw line feed');
      assert.doesNotMatch(e.replace(/\\\\|\\"/g, ''), /"/, 'no unescaped quote');
      assert.equal(unescapeLabelValue(e), v);
    }));
  });

  it('escapes HELP as each format asks', () => {
    assert.equal(escapeHelp('a\\b\n"c"', false), 'a\\\\b\\n"c"');
    assert.equal(escapeHelp('a\\b\n"c"', true), 'a\\\\b\\n\\"c\\"');
  });

  it('renders label sets and cuts runaway values without splitting a character', () => {
    assert.equal(renderLabels([]), '');
    assert.equal(renderLabels([['device', 'r1'], ['ifName', 'ge-0/0/1']]), '{device="r1",ifName="ge-0/0/1"}');
    let cuts = 0;
    const long = 'é'.repeat(MAX_LABEL_VALUE - 1) + '😀' + 'x'.repeat(10);
    const out = renderLabels([['a', long]], () => cuts++);
    assert.equal(cuts, 1);
    const value = out.slice(4, -2);
    assert.ok(value.length <= MAX_LABEL_VALUE);
    assert.doesNotMatch(value, /[\ud800-\udbff]$/, 'no half surrogate pair at the cut');
  });

  it('checks prefixes', () => {
    assert.ok(isValidPrefix('snmp_') && isValidPrefix('') && isValidPrefix('net:snmp_'));
    assert.ok(!isValidPrefix('1snmp') && !isValidPrefix('snmp-') && !isValidPrefix('a b'));
  });
});
