/**
 * The MIB admin endpoints through node-red-node-test-helper: completion, validation,
 * <userDir>/mibs, the permission asked for, idempotent registration.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { NodeAPI } from 'node-red';
import { helper } from '../support/flow';
import { registerMibApi, MIB_API_PERMISSION } from '../../src/lib/red/mib-api';

const VENDOR = path.join(__dirname, '..', 'fixtures', 'mibs', 'vendor');

/** The permissions registerMibApi asked for, and whether requests pass them. */
const asked: string[] = [];

/**
 * A stand-in node module: registers the API the way snmp-config does, with an auth
 * layer that lets a request through only with "Authorization: Bearer reader".
 */
function probeModule(RED: NodeAPI): void {
  const guarded = Object.create(RED) as NodeAPI;
  (guarded as { auth: unknown }).auth = {
    needsPermission(permission: string) {
      asked.push(permission);
      return (req: { get(h: string): string | undefined }, res: { status(n: number): { json(b: unknown): void } }, next: () => void) => {
        if (req.get('authorization') === 'Bearer reader') next();
        else res.status(401).json({ error: 'unauthorized' });
      };
    },
  };
  registerMibApi(guarded);
  registerMibApi(guarded); // the node file may be loaded twice: must not stack routes
  RED.nodes.registerType('mib-api-probe', function (this: unknown, def: object) {
    RED.nodes.createNode(this as never, def as never);
  });
}

const FLOW = [
  { id: 'tab', type: 'tab', label: 'test' },
  { id: 'probe', type: 'mib-api-probe', z: 'tab' },
];

describe('MIB admin endpoints', function () {
  this.timeout(30000);
  let userDir: string;

  before(async () => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mib-api-user-'));
    fs.mkdirSync(path.join(userDir, 'mibs'));
    for (const f of fs.readdirSync(VENDOR)) fs.copyFileSync(path.join(VENDOR, f), path.join(userDir, 'mibs', f));
    helper.settings({ userDir });
    await helper.load(probeModule as never, FLOW);
  });

  after(async () => {
    await helper.unload();
    helper.settings({});
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const get = (url: string, auth = true) => {
    const r = helper.request().get(url);
    return auth ? r.set('Authorization', 'Bearer reader') : r;
  };

  it('asks for the snmp-fleet.read permission and refuses requests without it', async () => {
    // one middleware shared by both routes; the second registerMibApi call did nothing
    assert.deepEqual(asked, [MIB_API_PERMISSION]);
    assert.equal(MIB_API_PERMISSION, 'snmp-fleet.read');
    await get('/snmp-fleet/mib/complete?q=ifHC', false).expect(401);
    await get('/snmp-fleet/mib/validate?name=sysName.0', false).expect(401);
  });

  it('registers each route once however often it is called', () => {
    const app = (helper as unknown as { _httpAdmin: { _router: { stack: Array<{ route?: { path: string } }> } } })._httpAdmin;
    const paths = app._router.stack.filter((l) => l.route).map((l) => l.route!.path);
    assert.equal(paths.filter((p) => p === '/snmp-fleet/mib/complete').length, 1);
    assert.equal(paths.filter((p) => p === '/snmp-fleet/mib/validate').length, 1);
  });

  it('completes names: prefix matches first, capped at 50', async () => {
    const res = await get('/snmp-fleet/mib/complete?q=ifHCIn').expect(200).expect('Content-Type', /json/);
    assert.equal(res.body.q, 'ifHCIn');
    assert.equal(res.body.results[0].qualified, 'IF-MIB::ifHCInOctets');
    assert.equal(res.body.results[0].oid, '1.3.6.1.2.1.31.1.1.1.6');
    assert.equal(res.body.results[0].kind, 'column');
    const many = await get('/snmp-fleet/mib/complete?q=i&limit=500').expect(200);
    assert.equal(many.body.results.length, 50);
    const few = await get('/snmp-fleet/mib/complete?q=if&limit=3').expect(200);
    assert.equal(few.body.results.length, 3);
    const names = (await get('/snmp-fleet/mib/complete?q=octets').expect(200)).body.results.map((r: { name: string }) => r.name);
    assert.ok(names.every((n: string) => n.toLowerCase().includes('octets')));
    assert.deepEqual((await get('/snmp-fleet/mib/complete').expect(200)).body.results, []);
    const long = await get(`/snmp-fleet/mib/complete?q=${'x'.repeat(5000)}`).expect(200);
    assert.equal(long.body.q.length, 200);
  });

  it('loads MIBs from <userDir>/mibs', async () => {
    const res = await get('/snmp-fleet/mib/complete?q=acmeSys').expect(200);
    assert.ok(res.body.results.some((r: { qualified: string }) => r.qualified === 'ACME-SYSTEM-MIB::acmeSysName'));
  });

  it('validates names while the user types', async () => {
    const ok = await get('/snmp-fleet/mib/validate?name=IF-MIB::ifOperStatus.3').expect(200);
    assert.deepEqual({ ...ok.body, enums: undefined }, {
      valid: true, input: 'IF-MIB::ifOperStatus.3', oid: '1.3.6.1.2.1.2.2.1.8.3', name: 'IF-MIB::ifOperStatus.3',
      module: 'IF-MIB', object: 'ifOperStatus', instance: '3', kind: 'column', syntax: 'INTEGER', enums: undefined,
    });
    assert.equal(ok.body.enums['1'], 'up');
    const numeric = await get('/snmp-fleet/mib/validate?name=.1.3.6.1.2.1.1.5.0').expect(200);
    assert.equal(numeric.body.name, 'SNMPv2-MIB::sysName.0');
    const outside = await get('/snmp-fleet/mib/validate?name=1.5.9').expect(200);
    assert.deepEqual(outside.body, { valid: true, input: '1.5.9', oid: '1.5.9', name: '1.5.9' });
    const bad = await get('/snmp-fleet/mib/validate?name=ifOperStats.3').expect(200);
    assert.equal(bad.body.valid, false);
    assert.match(bad.body.error, /unknown MIB object name "ifOperStats"/);
    await get('/snmp-fleet/mib/validate').expect(400);
    await get('/snmp-fleet/mib/validate?name=a&name=b').expect(200);
  });
});
