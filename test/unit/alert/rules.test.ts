import { strict as assert } from 'assert';
import fc from 'fast-check';
import { compare, isActive, isHeld, parseRules, OPS, type AlertRule } from '../../../src/lib/alert/rules';
import { parseSilenceCommands, silenceMatches } from '../../../src/lib/alert/silences';
import { parseDuration } from '../../../src/lib/common/duration';
import { alertOptions, resolveSecret } from '../../../src/lib/red/alert-node';

describe('alert rules', () => {
  it('parses durations in seconds', () => {
    assert.equal(parseDuration(90), 90);
    assert.equal(parseDuration('90'), 90);
    assert.equal(parseDuration('90s'), 90);
    assert.equal(parseDuration('5m'), 300);
    assert.equal(parseDuration('1.5h'), 5400);
    assert.equal(parseDuration('2d'), 172800);
    assert.equal(parseDuration('500ms'), 0.5);
    assert.equal(parseDuration('', 7), 7);
    assert.equal(parseDuration(undefined, 3), 3);
    for (const bad of ['-1', 'soon', '5 minutes', -4, NaN, Infinity, '1e3', {}]) {
      assert.throws(() => parseDuration(bad), /duration/, String(bad));
    }
  });

  it('parses a full rule set with defaults', () => {
    const [t, d] = parseRules([
      { name: 'HighUtilization', field: 'ifHCInOctets', op: '>', threshold: '8e8', clear: '5e8', for: '5m', keepFiringFor: 60, severity: 'critical', summary: '{{device}}' },
      { kind: 'device-down', name: 'DeviceDown' },
    ]);
    assert.deepEqual(t, { kind: 'threshold', name: 'HighUtilization', field: 'ifHCInOctets', op: '>', threshold: 8e8, clear: 5e8, forMs: 300000, keepFiringForMs: 60000, severity: 'critical', summary: '{{device}}', inhibit: true });
    assert.equal(d.inhibit, false, 'device-down is the source of inhibition, never held back');
    assert.equal(parseRules([{ name: 'y', field: 'f', threshold: 1, inhibit: false }])[0].inhibit, false);
    assert.equal(d.kind, 'device-down');
    assert.equal(d.severity, 'critical');
    assert.match(d.summary, /does not answer/);
    const [plain] = parseRules([{ name: 'x', field: 'f', threshold: 1 }]);
    assert.deepEqual([plain.op, plain.clear, plain.forMs, plain.severity], ['>', 1, 0, 'warning']);
  });

  it('rejects bad rules with a message naming the rule', () => {
    const cases: Array<[unknown, RegExp]> = [
      ['nope', /array/],
      [[null], /rule 1 is not an object/],
      [[{ name: '', field: 'f', threshold: 1 }], /rule 1: name/],
      [[{ name: '1abc', field: 'f', threshold: 1 }], /name/],
      [[{ name: 'a', field: 'f', threshold: 1 }, { name: 'a', field: 'g', threshold: 1 }], /rule 2: the name a is used twice/],
      [[{ name: 'NoData', field: 'f', threshold: 1 }], /reserved/],
      [[{ name: 'a', field: '', threshold: 1 }], /rule 1 \(a\): field is empty/],
      [[{ name: 'a', field: 'f', op: '=>', threshold: 1 }], /operator/],
      [[{ name: 'a', field: 'f', op: '>', threshold: '' }], /threshold is empty/],
      [[{ name: 'a', field: 'f', op: '>', threshold: 'high' }], /must be a number/],
      [[{ name: 'a', field: 'f', op: '>', threshold: 10, clear: 20 }], /clear must not be above/],
      [[{ name: 'a', field: 'f', op: '<', threshold: 10, clear: 5 }], /clear must not be below/],
      [[{ name: 'a', field: 'f', op: '==', threshold: 1, clear: 2 }], /clear threshold needs/],
      [[{ name: 'a', field: 'f', threshold: 1, for: 'later' }], /rule 1 \(a\).*duration/],
      [[{ name: 'a', kind: 'sometimes', field: 'f', threshold: 1 }], /kind/],
    ];
    for (const [raw, re] of cases) assert.throws(() => parseRules(raw), re, JSON.stringify(raw));
  });

  it('compares with every operator, text only for == and !=', () => {
    const table: Array<[string, number, number, boolean]> = [
      ['>', 2, 1, true], ['>', 1, 1, false], ['>=', 1, 1, true], ['<', 0, 1, true], ['<', 1, 1, false],
      ['<=', 1, 1, true], ['==', 1, 1, true], ['!=', 1, 2, true], ['!=', 2, 2, false],
    ];
    for (const [op, v, t, want] of table) assert.equal(compare(op as AlertRule['op'], v, t), want, `${v} ${op} ${t}`);
    assert.equal(compare('==', 'up', 'up'), true);
    assert.equal(compare('!=', 'down', 'up'), true);
    assert.equal(compare('>', 'b', 'a'), false, 'no ordering of text');
  });

  it('hysteresis: held is looser than active, for both directions', () => {
    const [hi] = parseRules([{ name: 'hi', field: 'f', op: '>', threshold: 90, clear: 80 }]);
    assert.deepEqual([95, 85, 75].map((v) => [isActive(hi, v), isHeld(hi, v)]), [[true, true], [false, true], [false, false]]);
    const [lo] = parseRules([{ name: 'lo', field: 'f', op: '<', threshold: 10, clear: 20 }]);
    assert.deepEqual([5, 15, 25].map((v) => [isActive(lo, v), isHeld(lo, v)]), [[true, true], [false, true], [false, false]]);
  });

  it('property: active implies held for every valid rule', () => {
    fc.assert(fc.property(fc.constantFrom(...OPS), fc.integer({ min: -100, max: 100 }), fc.integer({ min: 0, max: 50 }), fc.integer({ min: -200, max: 200 }), (op, threshold, gap, value) => {
      const withClear = op === '==' || op === '!=' ? {} : { clear: op.startsWith('>') ? threshold - gap : threshold + gap };
      const [rule] = parseRules([{ name: 'r', field: 'f', op, threshold, ...withClear }]);
      if (isActive(rule, value)) assert.ok(isHeld(rule, value));
    }));
  });

  describe('node options', () => {
    it('checks the node properties', () => {
      const o = alertOptions({ rules: [{ name: 'a', field: 'f', threshold: 1 }], repeat: '1h', nodata: 'alert', nodataAfter: '5', format: 'slack', store: ' file ' });
      assert.deepEqual({ ...o, rules: o.rules.length }, {
        rules: 1, repeatMs: 3600000, nodata: 'alert', nodataAfter: 5, format: 'slack', store: 'file', routingKey: undefined, routingKeyInBody: true,
        grouping: 'message', groupBy: ['device'], groupWaitMs: 30000, groupIntervalMs: 300000, instanceLabel: '',
      }, 'a node saved before grouping gets the new default and nothing else changes');
      const g = alertOptions({ rules: [{ name: 'a', field: 'f', threshold: 1 }], grouping: 'labels', groupBy: 'site, alertname', groupWait: '10s', groupInterval: '2m', instanceLabel: 'ifAlias' });
      assert.deepEqual([g.grouping, g.groupBy, g.groupWaitMs, g.groupIntervalMs, g.instanceLabel], ['labels', ['site', 'alertname'], 10000, 120000, 'ifAlias']);
      assert.throws(() => alertOptions({ rules: [{ name: 'a', field: 'f', threshold: 1 }], grouping: 'site' }), (e: any) => e.property === 'grouping');
      assert.throws(() => alertOptions({ rules: [{ name: 'a', field: 'f', threshold: 1 }], groupBy: 'a;b' }), (e: any) => e.property === 'groupBy');
      assert.throws(() => alertOptions({ rules: [{ name: 'a', field: 'f', threshold: 1 }], instanceLabel: '$x' }), (e: any) => e.property === 'instanceLabel');
      assert.throws(() => alertOptions({ rules: [] }), /no rules/);
      assert.throws(() => alertOptions({ rules: [{ name: 'a', field: 'f', threshold: 1 }], nodata: 'ignore' }), /nodata/);
      assert.throws(() => alertOptions({ rules: [{ name: 'a', field: 'f', threshold: 1 }], format: 'email' }), /format/);
      assert.throws(() => alertOptions({ rules: [{ name: 'a', field: 'f', threshold: 1 }], nodataAfter: 0 }), /nodataAfter/);
    });

    it('reads the routing key from the credential or the environment variable it names', () => {
      assert.equal(resolveSecret('abc'), 'abc');
      assert.equal(resolveSecret('${PD_KEY}', { PD_KEY: 'from-env' }), 'from-env');
      assert.equal(resolveSecret('${PD_KEY}', {}), undefined);
      assert.equal(resolveSecret(''), undefined);
      assert.equal(resolveSecret(undefined), undefined);
    });

    it('parses silence commands: the DESIGN form and the 0.1 form', () => {
      const now = Date.UTC(2025, 0, 1);
      const id = () => 'id1';
      const parse = (v: unknown) => parseSilenceCommands(v, now, id);
      assert.deepEqual(parse({ match: { device: 'core-1' }, for: '1h', comment: 'reboot', by: 'ops' }), [
        { op: 'add', silence: { id: 'id1', match: { device: 'core-1' }, until: now + 3600000, createdAt: now, comment: 'reboot', by: 'ops' } },
      ]);
      assert.deepEqual(parse({ match: { site: 'ams', alertname: 'X' }, until: '2025-01-01T01:00:00Z' }), [
        { op: 'add', silence: { id: 'id1', match: { site: 'ams', alertname: 'X' }, until: now + 3600000, createdAt: now } },
      ]);
      assert.deepEqual(parse({ device: 'core-1', duration: '2h', comment: 'maintenance' }), [
        { op: 'add', silence: { id: 'id1', match: { device: 'core-1' }, until: now + 7200000, createdAt: now, comment: 'maintenance' } },
      ], 'the 0.1 form still works');
      assert.deepEqual(parse([{ instance: 3, duration: 0 }, { expire: 'abc' }, { match: { device: 'x' }, expire: true }, 'list', { list: true }]), [
        { op: 'expire', match: { instance: '3' } }, { op: 'expire', id: 'abc' }, { op: 'expire', match: { device: 'x' } }, { op: 'list' }, { op: 'list' },
      ]);
      assert.throws(() => parse({ device: 'x' }), /needs for \(or until\)/);
      assert.throws(() => parse({ match: { device: 'x' }, until: 'someday' }), /until must be a time/);
      assert.throws(() => parse({ device: { $gt: '' }, for: 5 }), /device must be text/);
      assert.throws(() => parse({ match: { 'a b': 'x' }, for: 5 }), /not a label name/);
      assert.throws(() => parse({ match: 'core-1', for: 5 }), /match must be an object/);
      assert.throws(() => parse([]), /array of 1 to 100/);
      assert.throws(() => parse('mute'), /must be an object/);
    });

    it('reads Alertmanager\'s matchers, and refuses a silence that names nothing unless it says all: true', () => {
      const now = Date.UTC(2025, 0, 1);
      const parse = (v: unknown) => parseSilenceCommands(v, now, () => 'id1');
      assert.deepEqual(parse({ matchers: [{ name: 'device', value: 'core-1', isRegex: false, isEqual: true }, { name: 'site', value: 'ams' }], for: '1h' }), [
        { op: 'add', silence: { id: 'id1', match: { device: 'core-1', site: 'ams' }, until: now + 3600000, createdAt: now } },
      ]);
      assert.throws(() => parse({ matchers: [{ name: 'device', value: 'core-.*', isRegex: true }], for: '1h' }), /regular-expression matchers are not supported/);
      assert.throws(() => parse({ matchers: [{ name: 'device', value: 'core-1', isEqual: false }], for: '1h' }), /negative matchers are not supported/);
      assert.throws(() => parse({ matchers: { device: 'core-1' }, for: '1h' }), /matchers must be an array/);
      // a form sent with no device chosen, and a misspelt key: both named nothing and silenced everything
      assert.throws(() => parse({ device: undefined, for: '1h' }), /has no matcher .* would silence every alert/);
      assert.throws(() => parse({ matcher: { device: 'core-1' }, for: '1h' }), /has no matcher/);
      assert.deepEqual(parse({ all: true, for: '1h', comment: 'change window' }), [
        { op: 'add', silence: { id: 'id1', match: {}, until: now + 3600000, createdAt: now, comment: 'change window' } },
      ]);
      // lifting needs no matcher check: expiring what matches nothing expires nothing
      assert.deepEqual(parse({ for: 0 }), [{ op: 'expire', match: {} }]);
    });

    it('matches silences on device, alertname, severity, instance (name or index) and inventory labels', () => {
      const a = { alertname: 'InterfaceDown', device: 'core-1', index: '3', instance: 'xe-0/0/3', severity: 'warning', labels: { site: 'ams' } };
      for (const [match, want] of [
        [{}, true], [{ device: 'core-1' }, true], [{ device: 'core-2' }, false], [{ instance: 'xe-0/0/3' }, true], [{ instance: '3' }, true],
        [{ site: 'ams', alertname: 'InterfaceDown' }, true], [{ site: 'par' }, false], [{ severity: 'critical' }, false], [{ role: 'x' }, false],
      ] as const) assert.equal(silenceMatches({ match: match as Record<string, string> }, a), want, JSON.stringify(match));
    });
  });
});
