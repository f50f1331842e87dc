/**
 * The editor's copy of the inventory grammar, resources/snmp-fleet-inventory.js (built by
 * scripts/build.js from src/lib/common/inventory.ts), run as a browser would run it: a
 * plain script in a context with no require, no process and no Node built-in. It must be
 * the current build of the source, and answer every question exactly like the runtime
 * module. Then snmp-config's edit dialog script, with that bundle as its
 * window.SnmpFleetInventory, must refuse what the runtime refuses, naming the line.
 */
import { strict as assert } from 'assert';
import fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import * as vm from 'vm';
import * as runtime from '../../../src/lib/common/inventory';
import * as ip from '../../../src/lib/common/ip';

const ROOT = path.resolve(__dirname, '../../..');
const BUNDLE = path.join(ROOT, 'resources', 'snmp-fleet-inventory.js');
const { bundleInventory }: { bundleInventory(o: { write: boolean }): string } = require('../../../scripts/lib/inventory-bundle');

type Grammar = typeof runtime & typeof ip;

/** A thrown error or a return value, comparable across the two realms. */
function answer(g: Grammar, ask: (g: Grammar) => unknown): unknown {
  try {
    const value = ask(g);
    return { value: value === undefined ? 'undefined' : JSON.parse(JSON.stringify(value)) };
  } catch (err) {
    const e = err as Error;
    return { threw: e.name, message: e.message, configError: e instanceof g.ConfigError };
  }
}

/** Asks the bundle and the runtime module the same question. */
function same(bundle: Grammar, ask: (g: Grammar) => unknown, what: string): void {
  assert.deepEqual(answer(bundle, ask), answer({ ...runtime, ...ip }, ask), what);
}

const GOOD_LINES = [
  '192.0.2.10 core-1 site=paris role=core',
  '192.0.2.11:1161',
  '[::1]:1162 lab-6 site=lab',
  '[::1]',
  '::1',
  '2001:db8::1 v6-bare',
  '[2001:DB8::a]:65535 edge',
  '[fe80::1%eth0]:161 link-local',
  'fe80::1%eth0',
  '::ffff:192.0.2.1',
  'switch-3.example.net',
  'switch-3.example.net.:1 fqdn',
  'a_b.c-d:161 n k=v k.2=v=w _x= k-3=',
  'host\tname\tsite=tab',
  '999.1.1.1',
  '1.2.3',
  'localhost:65535',
  'h name constructor=x toString=y',
  '192.0.2.10 core-1 interval=60 profile=core-v3 site=paris',
  'h n interval=5m',
  'h n interval=7.5 profile=lab',
  // accepted, surprising as they are: the runtime reads them so
  'host:16 1',
  '1:2:3:4:5:6:7:8:9',
  'host n __proto__=polluted',
  `host n k=${'\u202e'.repeat(3)}`,
];

const BAD_LINES = [
  '192.0.2.2:99999 b',
  'h n interval=4',
  'h n profile=',
  'h n interval=',
  'h n interval=soon',
  'h n interval=2d',
  '192.0.2.2:0',
  'bad..host:161 broken',
  'bad!host name',
  '192.0.2.1 a b',
  'h1 n 1bad=x',
  'h1 n =x',
  'host:',
  ':161',
  'host:http',
  '[::1]:',
  '[::1]:0',
  '[::1]:65536',
  '[::1]x',
  '[192.0.2.1]:161',
  '[::1',
  '::1]:161',
  '[[::1]]',
  '[fe80::1%]:161',
  '[fe80::1%eth 0]',
  '1::2::3',
  'http://192.0.2.1/',
  'user@host',
  '-host',
  'x'.repeat(64),
  `${'a.'.repeat(127)}a`,
  `${'x'.repeat(300)}:161`,
  '<script>alert(1)</script>',
  '${SNMP_HOST}',
  'host\u0000name',
  'h\u0007ost n',
  'hôte',
  '\u0661\u0662.0.0.1',
  `host n ${'k'.repeat(65)}=v`,
];

const INVENTORIES = [
  '',
  '   \n\t\n',
  '# only comments\n# here',
  GOOD_LINES.join('\n'),
  GOOD_LINES.join('\r\n'),
  '192.0.2.1\n192.0.2.1:161',
  '192.0.2.1:1161\n192.0.2.1',
  '[::1]:161\n::1',
  '::1\n0:0:0:0:0:0:0:1',
  'Host-A\nhost-a',
  '127.0.0.1:16101 core-2\n127.0.0.1:16102 core-2',
  '127.0.0.1:1161\n192.0.2.2 127.0.0.1:1161',
  '192.0.2.1 core\n192.0.2.2 Core',
  'a # comment\n  # indented comment\n\na:1161 # same host, another port',
  '# lab\n127.0.0.1:1161 agent site=lab\nbad..host:161 broken',
  '127.0.0.1:1161 agent site=lab\n127.0.0.1:99999 broken',
  '\n\n\nbad!',
  'a\rb',
  'a\u2028b',
  'a #b\nc#d e\n#\n',
  ...BAD_LINES.map((l, i) => `${GOOD_LINES[i % GOOD_LINES.length]}\n# comment ${i}\n${l}`),
];

const TARGETS: unknown[] = [
  '192.0.2.5:1161 edge-5 site=x',
  '  [::1]:1161  ',
  'a b c',
  { host: '::1', port: 1161, labels: { a: 1, b: null, c: undefined, d: { e: 1 } } },
  { host: '[::1]:99' },
  { host: 'fe80::1%eth0', port: '162' },
  { host: ' host:1161 ', name: '  spaced  ' },
  { host: 'host', port: '' },
  { host: 'host', port: null },
  { host: 'host', port: 0 },
  { host: 'host', port: '1e3' },
  { host: 'host', port: 1.5 },
  { host: 'host', port: 'abc' },
  { host: 'host', name: 42, labels: 'x' },
  { host: 'host', interval: 30, profile: 'core-v3', labels: '{"site":"paris"}' },
  { host: 'host', interval: '2', profile: null, labels: '[1]' },
  { host: 'host', interval: null, profile: 3 },
  { host: '127.0.0.1:16102', port: 161 },
  { host: 'host', labels: 'paris' },
  { host: 'host', labels: '"paris"' },
  { host: 'host', labels: 'null' },
  { host: 'host', labels: ['a'] },
  { host: 'host', labels: Number.NaN },
  { host: '127.0.0.1:16102', port: '16102' },
  { host: '[::1]:16102', port: 1161 },
  { host: 'a b' },
  { host: 5 },
  { host: 'x'.repeat(300) },
  {},
  [],
  null,
  undefined,
  42,
  true,
];

describe('inventory grammar in the editor bundle (resources/snmp-fleet-inventory.js)', () => {
  let text = '';
  let bundle: Grammar;

  before(() => {
    assert.ok(fs.existsSync(BUNDLE), 'resources/snmp-fleet-inventory.js is missing: run npm run build');
    text = fs.readFileSync(BUNDLE, 'utf8');
    const context = vm.createContext({});
    vm.runInContext(text, context, { filename: BUNDLE });
    bundle = (context as { SnmpFleetInventory?: Grammar }).SnmpFleetInventory!;
    assert.ok(bundle, 'the bundle defines SnmpFleetInventory');
  });

  it('is the build of the current source, and a plain script: no require, no process, no Node built-in', () => {
    assert.equal(text, bundleInventory({ write: false }), 'resources/snmp-fleet-inventory.js is stale: run npm run build');
    assert.doesNotMatch(text, /\brequire\s*\(|\bprocess\b|\bBuffer\b|\bmodule\.exports\b/);
    assert.match(text, /^var SnmpFleetInventory = /m);
    for (const name of ['ConfigError', 'isValidHost', 'parseHostPort', 'parseInventory', 'parseInventoryLine', 'parseTarget', 'inventoryProblem', 'isIP', 'isIPv4', 'isIPv6']) {
      assert.equal(typeof (bundle as unknown as Record<string, unknown>)[name], 'function', name);
    }
  });

  it('answers like the runtime module on good and bad lines, whole inventories and msg targets', () => {
    for (const line of [...GOOD_LINES, ...BAD_LINES]) {
      same(bundle, (g) => g.parseInventoryLine(line, 161), `parseInventoryLine(${JSON.stringify(line)})`);
      const first = line.split(/\s+/)[0];
      same(bundle, (g) => g.parseHostPort(first, 1161), `parseHostPort(${JSON.stringify(first)})`);
      same(bundle, (g) => g.isValidHost(first), `isValidHost(${JSON.stringify(first)})`);
    }
    for (const inventory of INVENTORIES) {
      for (const port of [161, 1161]) {
        same(bundle, (g) => g.parseInventory(inventory, port), `parseInventory(${JSON.stringify(inventory)}, ${port})`);
        same(bundle, (g) => g.inventoryProblem(inventory, port), `inventoryProblem(${JSON.stringify(inventory)}, ${port})`);
      }
    }
    for (const target of TARGETS) same(bundle, (g) => g.parseTarget(target, 161), `parseTarget(${JSON.stringify(target)})`);
    // the corpus does reach both outcomes
    assert.ok(GOOD_LINES.every((l) => bundle.inventoryProblem(l, 161) === null));
    assert.ok(BAD_LINES.every((l) => bundle.inventoryProblem(`ok\n${l}`, 161)?.line === 2), 'every bad line is refused');
  });

  it('answers like the runtime module on random inventories (property)', () => {
    const token = fc.oneof(
      fc.constantFrom('192.0.2.1', '192.0.2.1:1161', '[::1]', '[::1]:162', '::1', 'fe80::1%eth0', '[fe80::1%eth0]:1', 'host', 'host.example', 'h:0', 'h:65536', '[::1]:', 'bad..h', '-h'),
      fc.constantFrom('name', 'k=v', 'site=lab', '1k=v', '=v', 'a=b=c', '__proto__=x', '#', '# c'),
      fc.string({ unit: fc.constantFrom(...'ab19.:[]%=-_#!@ \t'), maxLength: 12 }),
      fc.string({ unit: 'binary', maxLength: 8 }),
    );
    const line = fc.array(token, { maxLength: 5 }).chain((words) => fc.constantFrom(' ', '\t', '  ').map((sep) => words.join(sep)));
    const inventory = fc.tuple(fc.array(line, { maxLength: 6 }), fc.constantFrom('\n', '\r\n')).map(([lines, nl]) => lines.join(nl));
    fc.assert(fc.property(inventory, fc.constantFrom(161, 1161), (text, port) => {
      same(bundle, (g) => g.parseInventory(text, port), JSON.stringify(text));
      same(bundle, (g) => g.inventoryProblem(text, port), JSON.stringify(text));
    }), { numRuns: 1000 });
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.%-_ g'), maxLength: 40 }), (s) => {
      same(bundle, (g) => [g.isIP(s), g.isIPv4(s), g.isIPv6(s)], JSON.stringify(s));
    }), { numRuns: 3000 });
  });
});

describe('snmp-config edit dialog: inventory checked by the bundled grammar', () => {
  /** The dialog's registerType definition, its script run with the bundle and a stub RED, no DOM. */
  function definition(): any {
    const html = fs.readFileSync(path.join(ROOT, 'nodes', 'snmp-config.html'), 'utf8');
    assert.match(html, /<script type="text\/javascript" src="resources\/@snmp-fleet\/node-red-snmp-fleet\/snmp-fleet-inventory\.js"><\/script>/, 'the dialog loads the bundle');
    const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)![1];
    const catalog = JSON.parse(fs.readFileSync(path.join(ROOT, 'nodes', 'locales', 'en-US', 'snmp-config.json'), 'utf8'));
    const translate = (key: string, vars: Record<string, unknown> = {}) => {
      const message = key.split('.').reduce((o: any, k) => o?.[k], catalog);
      assert.equal(typeof message, 'string', `locale key ${key}`);
      return (message as string).replace(/__(\w+)__/g, (_m, k: string) => String(vars[k]));
    };
    let def: any;
    const RED = {
      nodes: {
        registerType: (name: string, d: any) => { def = d; def._ = translate; },
        getType: () => def,
      },
      validators: { regex: (re: RegExp) => (v: unknown) => re.test(String(v)) },
    };
    // the dialog also loads the pack's shared editor script (its choice() validator), which adds its style to the page
    const jq: any = () => ({ length: 0, text: () => jq(), appendTo: () => jq() });
    const context = vm.createContext({ RED, $: jq });
    context.window = context;
    vm.runInContext(fs.readFileSync(BUNDLE, 'utf8'), context);
    vm.runInContext(fs.readFileSync(path.join(ROOT, 'resources', 'snmp-fleet-editor.js'), 'utf8'), context);
    context.$ = () => ({ length: 0 });
    vm.runInContext(script, context);
    assert.ok(def, 'registerType called');
    return def;
  }

  it('refuses what parseInventory refuses, "Inventory line N: <the runtime error>", and accepts the rest', () => {
    const def = definition();
    const validate = (text: string, port: unknown) => def.defaults.inventory.validate.call({ port, inventory: text }, text, {});
    assert.equal(def.defaults.inventory.validate.length, 2, 'a validator whose message Node-RED shows');
    for (const text of INVENTORIES) {
      for (const port of ['161', '1161', 1161, '', '${SNMP_PORT}']) {
        const runtimePort = port === '1161' || port === 1161 ? 1161 : 161;
        let expected: unknown = true;
        try {
          runtime.parseInventory(text, runtimePort);
        } catch (err) {
          expected = (err as Error).message.replace(/^inventory line/, 'Inventory line');
        }
        assert.equal(validate(text, port), expected, `${JSON.stringify(text)} with port ${JSON.stringify(port)}`);
      }
    }
    assert.equal(validate('# lab\n127.0.0.1:1161 agent site=lab\nbad..host:161 broken', '161'), 'Inventory line 3: "bad..host" is not a host name or IP address');
    assert.equal(validate('192.0.2.1\n192.0.2.1:161', '161'), 'Inventory line 2: 192.0.2.1:161 is listed twice (first on line 1)');
    assert.equal(validate('127.0.0.1:16101 core-2 site=lyon\n# moved\n127.0.0.1:16102 core-2', '161'), 'Inventory line 3: name core-2 is already used on line 1 by 127.0.0.1:16101');
  });

  it('checks the source address with the same IP grammar as the runtime', () => {
    const def = definition();
    const validate = (v: string, transport: string) => def.defaults.sourceAddress.validate.call({ transport }, v, {});
    assert.equal(validate('192.0.2.1', 'udp4'), true);
    assert.equal(validate('fe80::1%eth0', 'udp6'), true);
    assert.equal(validate('::1', 'udp4'), 'Must be an IPv4 address of this host, matching the transport');
    assert.equal(validate('01.2.3.4', 'udp4'), 'Must be an IPv4 address of this host, matching the transport');
    assert.equal(validate('${SRC}', 'udp6'), true);
  });
});
