/**
 * The editor files of counter-rate, threshold-alert, snmp-spool and snmp-metrics without a browser: help
 * structure (Node-RED help style guide), every locale key used by the editor and the
 * runtime exists, the contract property names are the editor's defaults, and the
 * editor validators accept and refuse what the runtime does.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vm from 'vm';
import { parseRules } from '../../../src/lib/alert/rules';
import { spoolSettings } from '../../../src/lib/red/spool-node';
import { metricsOptions } from '../../../src/lib/red/metrics-node';

const ROOT = path.resolve(__dirname, '../../..');
const TYPES = ['counter-rate', 'threshold-alert'] as const;

function read(rel: string): string {
  return fs.readFileSync(path.join(ROOT, rel), 'utf8');
}

function locale(type: string): Record<string, unknown> {
  return JSON.parse(read(`nodes/locales/en-US/${type}.json`));
}

function hasKey(catalog: Record<string, unknown>, key: string): boolean {
  let cur: unknown = catalog;
  for (const part of key.split('.')) {
    if (typeof cur !== 'object' || cur === null || !(part in cur)) return false;
    cur = (cur as Record<string, unknown>)[part];
  }
  return typeof cur === 'string';
}

/**
 * Node-RED's reading of a validator result (editor-client validateNodeProperty): a
 * string means "invalid" only from a validator declared with two parameters.
 */
function isValid(validate: (v: unknown, opt?: unknown) => unknown, value: unknown): boolean {
  const r = validate(value, {});
  if (validate.length === 2 && typeof r === 'string') return false;
  return !!r;
}

/** Runs the editor script with a stub RED and returns the registerType definition. */
function editorDefinition(type: string): any {
  const html = read(`nodes/${type}.html`);
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)![1];
  let def: any;
  const RED = {
    nodes: {
      eachNode: () => undefined,
      registerType: (name: string, d: any) => { if (name === type) def = d; },
      getType: (name: string) => (name === type ? def : undefined),
    },
    validators: { regex: (re: RegExp) => (v: unknown) => re.test(String(v)) },
    _: (key: string) => key,
    settings: {},
  };
  // the shared editor script each node file loads first (it adds its style to the page)
  const jq: any = () => ({ text: () => jq(), appendTo: () => jq() });
  const context: any = { RED, $: jq };
  context.window = context;
  vm.createContext(context);
  vm.runInContext(read('resources/snmp-fleet-editor.js'), context);
  context.$ = () => { throw new Error('no DOM at registration'); };
  vm.runInContext(script, context);
  assert.ok(def, `registerType("${type}") not called`);
  return def;
}

describe('editor files of counter-rate, threshold-alert and snmp-spool', () => {
  it('are registered in package.json', () => {
    const nodes = JSON.parse(read('package.json'))['node-red'].nodes;
    assert.equal(nodes['counter-rate'], 'nodes/counter-rate.js');
    assert.equal(nodes['threshold-alert'], 'nodes/threshold-alert.js');
    for (const t of TYPES) assert.ok(fs.existsSync(path.join(ROOT, 'icons', `${t}.svg`)));
  });

  for (const type of TYPES) {
    describe(type, () => {
      const html = read(`nodes/${type}.html`);
      const catalog = locale(type);

      it('has help in the style guide order: tooltip, Inputs, Outputs, Details, References; no <b>/<i>', () => {
        const help = new RegExp(`<script type="text/html" data-help-name="${type}">([\\s\\S]*?)</script>`).exec(html)![1].trim();
        assert.match(help, /^<p>[^<]/);
        const h3 = [...help.matchAll(/<h3>(.*?)<\/h3>/g)].map((m) => m[1]);
        assert.deepEqual(h3, ['Inputs', 'Outputs', 'Details', 'References']);
        assert.ok([...help.matchAll(/<h4>/g)].length >= 2, 'Details in h4 sections');
        assert.ok(!/<(b|i)>/.test(help));
        assert.match(help, /<dl class="message-properties">/);
        assert.match(help, /more than a\s+day away from this machine's clock/, 'says which msg.snmp.time is refused');
      });

      it('uses only locale keys that exist (editor and runtime)', () => {
        const keys = new Set<string>();
        for (const m of html.matchAll(/data-i18n="(?:\[placeholder\])?([\w.-]+)"/g)) if (!m[1].startsWith('node-red:')) keys.add(m[1]);
        for (const m of html.matchAll(/\b(?:RED\._|t)\("([\w.-]+[\w-])"/g)) keys.add(m[1]);
        // Rule inputs take their placeholder by name: input("rule-x", "<key>", width).
        for (const m of html.matchAll(/input\("[\w-]+", "(\w+)"/g)) keys.add(`${type}.placeholder.${m[1]}`);
        for (const m of html.matchAll(/this\._\("([\w.-]+)"/g)) keys.add(m[1]);
        const src = [`src/${type}.ts`, type === 'counter-rate' ? 'src/lib/red/counter-rate-node.ts' : 'src/lib/red/alert-node.ts'].map(read).join('\n');
        for (const m of src.matchAll(/\bt\('([\w.-]+)'/g)) keys.add(`${type}.${m[1]}`);
        for (const m of src.matchAll(new RegExp(`'(${type}\\.[\\w.-]+)'`, 'g'))) keys.add(m[1]);
        assert.ok(keys.size > 15, `found ${keys.size} keys`);
        const missing = [...keys].filter((k) => !hasKey(catalog, k));
        assert.deepEqual(missing, []);
      });
    });
  }

  it('counter-rate: contract properties and validators', () => {
    const def = editorDefinition('counter-rate');
    assert.deepEqual(Object.keys(def.defaults).sort(), ['expire', 'maxRate', 'mode', 'name', 'scale', 'store', 'width']);
    assert.equal(def.category, 'SNMP fleet');
    const ok = (prop: string, v: unknown) => isValid(def.defaults[prop].validate, v);
    assert.ok(ok('scale', '8') && ok('scale', '') && ok('scale', '${SCALE}') && !ok('scale', '0') && !ok('scale', '-8') && !ok('scale', 'x'));
    assert.ok(ok('maxRate', '') && ok('maxRate', '1e9') && !ok('maxRate', '-1'));
    assert.ok(ok('expire', '3600') && !ok('expire', 'soon'));
    assert.ok(ok('width', 'auto') && ok('width', '32') && !ok('width', '16'));
    assert.ok(ok('mode', 'delta') && !ok('mode', 'avg'));
    assert.equal(def.label.call({ name: '', mode: 'rate', scale: '8' }), 'rate ×8');
    assert.equal(def.label.call({ name: '', mode: 'delta', scale: '1' }), 'delta');
  });

  it('threshold-alert: the help says plainly where the PagerDuty routing key is visible, and how to keep it off the wire', () => {
    const html = read('nodes/threshold-alert.html');
    const help = /<script type="text\/html" data-help-name="threshold-alert">([\s\S]*?)<\/script>/.exec(html)![1].replace(/\s+/g, ' ');
    assert.match(help, /msg\.payload\.routing_key<\/code> of every message this node sends: a Debug node/);
    assert.match(help, /untick "Key in body"/);
    assert.match(help, /\$env\('PAGERDUTY_ROUTING_KEY'\)/);
    assert.match(html, /<input type="checkbox" id="node-input-routingKeyInBody"/);
    assert.match(JSON.stringify(locale('threshold-alert')), /visible to Debug/, 'and the editor tip says it too');
  });

  it('threshold-alert: contract properties, a password credential, and rule validation like the runtime', () => {
    const def = editorDefinition('threshold-alert');
    assert.deepEqual([...Object.keys(def.defaults)].sort(), ['format', 'groupBy', 'groupInterval', 'groupWait', 'grouping', 'instanceLabel', 'name', 'nodata', 'nodataAfter', 'repeat', 'routingKeyInBody', 'rules', 'store']);
    assert.equal(def.defaults.routingKeyInBody.value, true, 'the key stays in the body unless unticked (older flows)');
    assert.equal(def.label.call({ name: '', rules: [{ kind: 'threshold', name: 'HighUtil', field: 'util', op: '>', threshold: '80' }, { kind: 'device-down' }] }), 'alert util > 80 +1');
    assert.equal(def.label.call({ name: '', rules: [{ kind: 'device-down', name: 'DeviceDown' }] }), 'alert device down');
    assert.equal(def.label.call({ name: 'pager', rules: [] }), 'pager');
    assert.deepEqual(JSON.parse(JSON.stringify(def.credentials)), { routingKey: { type: 'password' } });
    assert.doesNotThrow(() => parseRules(def.defaults.rules.value), 'the default rule is valid at runtime');
    const validate = def.defaults.rules.validate;
    const cases: unknown[][] = [
      [{ name: 'A', field: 'f', op: '>', threshold: '10', clear: '5', for: '5m' }],
      [{ kind: 'device-down', name: 'Down', for: '30s' }],
      [{ name: 'A', field: 'f', op: '!=', threshold: 'up' }],
      [],
      [{ name: 'A', field: 'f', op: '>', threshold: '10', clear: '20' }],
      [{ name: 'A', field: '', op: '>', threshold: '10' }],
      [{ name: 'A', field: 'f', op: '>', threshold: 'hot' }],
      [{ name: 'A', field: 'f', op: '>', threshold: '1', for: 'later' }],
      [{ name: 'A', field: 'f', threshold: '1' }, { name: 'A', field: 'g', threshold: '2' }],
      [{ name: 'NoData', field: 'f', threshold: '1' }],
    ];
    for (const rules of cases) {
      let runtime = true;
      try {
        if (rules.length === 0) throw new Error('none');
        parseRules(rules);
      } catch {
        runtime = false;
      }
      assert.equal(isValid(validate, rules), runtime, JSON.stringify(rules));
    }
    assert.equal(isValid(def.defaults.repeat.validate, '1h'), true);
    assert.equal(isValid(def.defaults.repeat.validate, 'often'), false);
    assert.equal(isValid(def.defaults.nodataAfter.validate, '3'), true);
    assert.equal(isValid(def.defaults.nodataAfter.validate, '0'), false);
    assert.ok(isValid(def.defaults.format.validate, 'pagerduty') && !isValid(def.defaults.format.validate, 'email'));
    assert.equal(def.defaults.rules.validate([], {}), 'threshold-alert.errors.rules', 'a reason the editor can show');
  });
  describe('snmp-spool', () => {
    const html = read('nodes/snmp-spool.html');
    const catalog = locale('snmp-spool');

    it('is registered in package.json, with its icon', () => {
      assert.equal(JSON.parse(read('package.json'))['node-red'].nodes['snmp-spool'], 'nodes/snmp-spool.js');
      assert.ok(fs.existsSync(path.join(ROOT, 'icons', 'snmp-spool.svg')));
      assert.equal(editorDefinition('snmp-spool').icon, 'snmp-spool.svg');
    });

    it('has help in the style guide order, saying how to wire the acknowledgements', () => {
      const help = /<script type="text\/html" data-help-name="snmp-spool">([\s\S]*?)<\/script>/.exec(html)![1].trim();
      assert.match(help, /^<p>[^<]/);
      assert.deepEqual([...help.matchAll(/<h3>(.*?)<\/h3>/g)].map((m) => m[1]), ['Inputs', 'Outputs', 'Details', 'References']);
      assert.ok(!/<(b|i)>/.test(help));
      const text = help.replace(/\s+/g, ' ');
      assert.match(text, /<code>complete<\/code> node and a <code>catch<\/code> node, both set to the node the spool feeds/);
      assert.match(text, /crash of Node-RED loses nothing/);
    });

    it('uses only locale keys that exist (editor and runtime)', () => {
      const keys = new Set<string>();
      for (const m of html.matchAll(/data-i18n="(?:\[placeholder\])?([\w.-]+)"/g)) if (!m[1].startsWith('node-red:')) keys.add(m[1]);
      for (const m of html.matchAll(/\b(?:RED\._|t|this\._)\("([\w.-]+[\w-])"/g)) keys.add(m[1]);
      const src = read('src/lib/red/spool-node.ts');
      for (const m of src.matchAll(/\bt\('([\w.-]+)'/g)) keys.add(`snmp-spool.${m[1]}`);
      // errors.<SpoolError code>, built from the code
      for (const code of ['not-json', 'too-large', 'io']) keys.add(`snmp-spool.errors.${code}`);
      for (const k of ['status.bad-property', 'errors.bad-property']) keys.add(`snmp-spool.${k}`);
      assert.ok(keys.size > 30, `found ${keys.size} keys`);
      assert.deepEqual([...keys].filter((k) => !hasKey(catalog, k)), []);
    });

    it('accepts in the editor exactly what the runtime accepts', () => {
      const def = editorDefinition('snmp-spool');
      assert.deepEqual(Object.keys(def.defaults).sort(), ['ackTimeout', 'fsync', 'maxInFlight', 'maxMessages', 'maxSize', 'name', 'retryMax']);
      assert.doesNotThrow(() => spoolSettings(Object.fromEntries(Object.entries(def.defaults).map(([k, v]: [string, any]) => [k, v.value]))), 'the defaults are valid');
      const samples = ['', '1', '4', '0', '-1', '1000', '1001', '0.5', '2.5', '60', '90s', '5m', '1h', '2d', '500ms', '86400', '86401', '3600', '3601',
        '0.1', '0.09', '1e6', '1000000', '1000001', 'x', '10000000', '10000001', 'message', 'second', 'never', 'always'];
      for (const prop of ['maxInFlight', 'ackTimeout', 'retryMax', 'maxMessages', 'maxSize', 'fsync']) {
        for (const v of samples) {
          let runtime = true;
          try { spoolSettings({ [prop]: v }); } catch { runtime = false; }
          assert.equal(isValid(def.defaults[prop].validate, v), runtime, `${prop} = "${v}"`);
        }
      }
      assert.equal(def.label.call({ name: '' }), 'spool');
      assert.equal(def.label.call({ name: 'influx queue' }), 'influx queue');
    });
  });
});

describe('editor file of snmp-metrics', () => {
  const type = 'snmp-metrics';
  const html = read(`nodes/${type}.html`);
  const catalog = locale(type);

  it('is registered, with its icon, and its help follows the style guide', () => {
    assert.equal(JSON.parse(read('package.json'))['node-red'].nodes[type], `nodes/${type}.js`);
    assert.ok(fs.existsSync(path.join(ROOT, 'icons', `${type}.svg`)));
    const help = new RegExp(`<script type="text/html" data-help-name="${type}">([\\s\\S]*?)</script>`).exec(html)![1].trim();
    assert.match(help, /^<p>[^<]/);
    assert.deepEqual([...help.matchAll(/<h3>(.*?)<\/h3>/g)].map((m) => m[1]), ['Inputs', 'Outputs', 'Details', 'References']);
    assert.ok([...help.matchAll(/<h4>/g)].length >= 4);
    assert.ok(!/<(b|i)>/.test(help));
    assert.match(help, /scrape_configs:/, 'the help shows the scrape config');
  });

  it('uses only locale keys that exist (editor and runtime)', () => {
    const keys = new Set<string>();
    for (const m of html.matchAll(/data-i18n="(?:\[placeholder\])?([\w.-]+)"/g)) if (!m[1].startsWith('node-red:')) keys.add(m[1]);
    for (const m of html.matchAll(/"(snmp-metrics\.[\w.-]+)"/g)) if (!m[1].endsWith('.svg')) keys.add(m[1]);
    const src = ['src/snmp-metrics.ts', 'src/lib/red/metrics-node.ts'].map(read).join('\n');
    for (const m of src.matchAll(/\bt\('([\w.-]+)'/g)) keys.add(`${type}.${m[1]}`);
    for (const m of src.matchAll(/'(snmp-metrics\.[\w.-]+)'/g)) keys.add(m[1]);
    // the warnings are looked up by drop reason: warn.<reason>
    for (const r of ['cap', 'no-values', 'not-finite', 'negative-counter', 'bad-name', 'type-conflict', 'labels-capped']) keys.add(`${type}.warn.${r}`);
    assert.ok(keys.size > 20, `found ${keys.size} keys`);
    assert.deepEqual([...keys].filter((k) => !hasKey(catalog, k)), []);
  });

  it('stores the contract properties and validates them as the runtime does', () => {
    const def = editorDefinition(type);
    assert.deepEqual(Object.keys(def.defaults).sort(), ['health', 'labelColumns', 'maxSeries', 'name', 'path', 'prefix', 'staleAfter']);
    assert.deepEqual([def.category, def.inputs, def.outputs], ['SNMP fleet', 1, 0]);
    const cases: Array<[string, unknown]> = [
      ['path', '/metrics'], ['path', 'prom'], ['path', '/a/:id'], ['path', '/a b'], ['path', ''],
      ['prefix', 'snmp_'], ['prefix', ''], ['prefix', '9x'], ['prefix', 'a-b'],
      ['labelColumns', 'ifName ifDescr ifAlias'], ['labelColumns', 'ifName,ifAlias'], ['labelColumns', 'if-Name'], ['labelColumns', ''],
      ['staleAfter', '3'], ['staleAfter', '0'], ['staleAfter', '2.5'], ['staleAfter', ''],
      ['maxSeries', '200000'], ['maxSeries', '0'], ['maxSeries', 'lots'],
    ];
    for (const [prop, value] of cases) {
      let runtime = true;
      try {
        metricsOptions({ [prop]: value });
      } catch {
        runtime = false;
      }
      assert.equal(isValid(def.defaults[prop].validate, value), runtime, `${prop} = ${JSON.stringify(value)}`);
    }
    assert.doesNotThrow(() => metricsOptions(Object.fromEntries(Object.entries(def.defaults).map(([k, d]: [string, any]) => [k, d.value]))), 'the defaults are valid at runtime');
    assert.equal(def.label.call({ name: '', path: 'prom' }), 'metrics /prom');
    assert.equal(def.label.call({ name: 'exporter', path: '/metrics' }), 'exporter');
  });
});
