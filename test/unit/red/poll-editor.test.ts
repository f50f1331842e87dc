/**
 * The edit dialogs of snmp-get and snmp-bulkwalk without a browser: the schedule
 * properties are the contract's names with the runtime's defaults, the interval is
 * checked by the runtime's own grammar (the bundled parseInterval), a node on its own
 * schedule needs its own OIDs, every locale key the dialog and the runtime use exists,
 * and the help says how the schedule works, in the style guide's order.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vm from 'vm';
import { scheduleSettings } from '../../../src/lib/red/poll-node';

const ROOT = path.resolve(__dirname, '../../..');
const read = (rel: string) => fs.readFileSync(path.join(ROOT, rel), 'utf8');

/**
 * Runs the bundled grammar, the shared editor script and the node's own script in one
 * context with a stub RED and jQuery (no dialog open), as the editor loads them.
 */
function editorDefinition(type: string): { def: any; catalog: any } {
  const catalog = JSON.parse(read(`nodes/locales/en-US/${type}.json`));
  const translate = (key: string, vars: Record<string, unknown> = {}) => {
    const message = key.split('.').reduce((o: any, k) => o?.[k], catalog);
    assert.equal(typeof message, 'string', `locale key ${key}`);
    return (message as string).replace(/__(\w+)__/g, (_m, k: string) => String(vars[k]));
  };
  let def: any;
  const jq: any = () => ({ length: 0, text: () => jq(), appendTo: () => jq(), val: () => undefined });
  const context: any = {
    RED: {
      nodes: {
        registerType: (name: string, d: any) => { if (name === type) def = d; },
        getType: (name: string) => (name === type ? { _: translate } : undefined),
      },
      validators: { regex: (re: RegExp) => (v: unknown) => re.test(String(v)) },
      _: (key: string) => key,
    },
    $: jq,
  };
  context.window = context;
  vm.createContext(context);
  const bundle = path.join(ROOT, 'resources', 'snmp-fleet-inventory.js');
  assert.ok(fs.existsSync(bundle), 'run npm run build: the inventory bundle is missing');
  vm.runInContext(fs.readFileSync(bundle, 'utf8'), context);
  vm.runInContext(read('resources/snmp-fleet-editor.js'), context);
  const html = read(`nodes/${type}.html`);
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)![1];
  vm.runInContext(script, context);
  assert.ok(def, `registerType("${type}") was called`);
  return { def, catalog };
}

/** Node-RED's reading of a validator result: a string from a two-parameter validator means invalid. */
function verdict(validate: (this: any, v: unknown, opt?: unknown) => unknown, node: any, value: unknown): true | string {
  const r = validate.call(node, value, {});
  if (validate.length === 2 && typeof r === 'string') return r;
  return r ? true : 'invalid';
}

for (const type of ['snmp-get', 'snmp-bulkwalk']) {
  describe(`${type} edit dialog: polling on its own schedule`, () => {
    const { def, catalog } = editorDefinition(type);
    const html = read(`nodes/${type}.html`);

    it('stores schedule and interval under the contract\'s names, "input" and 60 s by default, as the runtime reads a flow without them', () => {
      assert.equal(def.defaults.schedule.value, 'input');
      assert.equal(def.defaults.interval.value, '60');
      assert.deepEqual(scheduleSettings({ oids: 'sysUpTime.0' }), { schedule: 'input', interval: 60 });
      assert.deepEqual(scheduleSettings({ schedule: def.defaults.schedule.value, interval: def.defaults.interval.value, oids: 'x' }), { schedule: 'input', interval: 60 });
      assert.match(html, /<select id="node-input-schedule"[\s\S]*value="input"[\s\S]*value="interval"/);
      assert.match(html, /id="node-input-interval"/);
    });

    it('takes a flow saved before schedule and the JSON form existed (no such property) as valid; refuses other values', () => {
      assert.equal(def.defaults.form.value, 'message');
      for (const [prop, good] of [['schedule', ['input', 'interval', '']], ['form', ['message', 'json', '']]] as const) {
        assert.equal(verdict(def.defaults[prop].validate, {}, undefined), true, `${prop} absent`);
        for (const v of good) assert.equal(verdict(def.defaults[prop].validate, {}, v), true, `${prop} ${v}`);
        assert.notEqual(verdict(def.defaults[prop].validate, {}, 'cron'), true, `${prop} cron`);
      }
      assert.match(html, /<select id="node-input-form"[\s\S]*value="message"[\s\S]*value="json"/);
    });

    it('accepts the intervals the runtime accepts, and names the floor for the others', () => {
      const validate = def.defaults.interval.validate;
      for (const good of ['', '5', '60', '300', '5m', '1h', '${POLL_INTERVAL}']) {
        assert.equal(verdict(validate, {}, good), true, good);
        if (!good.startsWith('$')) assert.doesNotThrow(() => scheduleSettings({ interval: good, oids: 'x' }), good);
      }
      for (const bad of ['4', '0', '-1', 'soon', '2d']) {
        assert.equal(verdict(validate, {}, bad), 'A number of seconds from 5 to 86400, or a duration such as 5m', bad);
        assert.throws(() => scheduleSettings({ interval: bad, oids: 'x' }), /interval/, bad);
      }
    });

    it('wants OIDs of its own when it polls on its own schedule, as the runtime does', () => {
      const validate = def.defaults.oids.validate;
      assert.equal(verdict(validate, { schedule: 'input' }, ''), true, 'msg.oids then');
      assert.equal(verdict(validate, { schedule: 'interval' }, ''), catalog[type].errors['oids-needed']);
      assert.equal(verdict(validate, { schedule: 'interval' }, 'sysUpTime'), true);
      assert.throws(() => scheduleSettings({ schedule: 'interval', oids: '' }), /own OID list/);
    });

    it('has every locale key the dialog and the runtime use', () => {
      const keys = [...html.matchAll(/data-i18n="(?:\[placeholder\])?([a-z-]+\.[a-z-]+\.[a-z-]+)"/g)].map((m) => m[1]).filter((k) => k.startsWith(type));
      const src = read('src/lib/red/poll-node.ts');
      const runtimeKeys = [...src.matchAll(/\.t\('([a-z-]+\.[a-z-]+)'/g)].map((m) => `${type}.${m[1]}`);
      for (const key of [...keys, ...runtimeKeys]) {
        const v = key.split('.').reduce((o: any, k) => o?.[k], catalog);
        assert.equal(typeof v, 'string', key);
      }
      assert.ok(runtimeKeys.includes(`${type}.status.scheduled`) && runtimeKeys.includes(`${type}.log.bad-target`));
    });

    it('explains the schedule in the help, in the style guide\'s order and without <b>/<i>', () => {
      const help = new RegExp(`<script type="text/html" data-help-name="${type}">([\\s\\S]*?)</script>`).exec(html)![1];
      assert.deepEqual([...help.matchAll(/<h3>(.*?)<\/h3>/g)].map((m) => m[1]), ['Inputs', 'Outputs', 'Details', 'References']);
      assert.match(help, /<h4>Polling on its own schedule<\/h4>/);
      assert.match(help, /bad-target/);
      assert.doesNotMatch(help, /<b>|<i>/);
    });
  });
}
