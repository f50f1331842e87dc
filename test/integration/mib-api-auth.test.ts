/**
 * The MIB admin endpoints behind a real Node-RED with adminAuth: anonymous requests and
 * users without snmp-fleet.read are refused, a "read" user is served. Node-RED runs as
 * its own process (through tsx, so it loads src/lib/red/mib-api.ts) from a temporary userDir.
 */
import { strict as assert } from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const bcrypt = require('bcryptjs') as { hashSync(s: string, rounds: number): string };

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe('MIB admin endpoints under Node-RED adminAuth', function () {
  this.timeout(60000);
  let userDir: string;
  let port: number;
  let child: ChildProcess | undefined;
  let output = '';
  const base = () => `http://127.0.0.1:${port}`;

  async function token(username: string, scope: string): Promise<string> {
    const res = await fetch(`${base()}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'node-red-admin', grant_type: 'password', scope, username, password: 'Test-Passw0rd' }),
    });
    assert.equal(res.status, 200, `token for ${username}`);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  before(async () => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mib-api-auth-'));
    port = await freeTcpPort();
    const hash = bcrypt.hashSync('Test-Passw0rd', 4);
    fs.mkdirSync(path.join(userDir, 'nodes'));
    // A stand-in for snmp-config's module-scope call to registerMibApi.
    fs.writeFileSync(path.join(userDir, 'nodes', 'mib-api-probe.js'), `module.exports = function (RED) {
  require(${JSON.stringify(path.join(ROOT, 'src', 'lib', 'red', 'mib-api.ts'))}).registerMibApi(RED);
  RED.nodes.registerType('mib-api-probe', function (n) { RED.nodes.createNode(this, n); });
};\n`);
    fs.writeFileSync(path.join(userDir, 'nodes', 'mib-api-probe.html'), '<script type="text/javascript">RED.nodes.registerType("mib-api-probe",{category:"test",defaults:{},inputs:0,outputs:0});</script>\n');
    fs.writeFileSync(path.join(userDir, 'settings.js'), `module.exports = ${JSON.stringify({
      uiHost: '127.0.0.1',
      uiPort: port,
      flowFile: 'flows.json',
      credentialSecret: false,
      logging: { console: { level: 'info', audit: false } },
      adminAuth: {
        type: 'credentials',
        users: [
          { username: 'reader', password: hash, permissions: 'read' },
          { username: 'flowsonly', password: hash, permissions: ['flows.read'] },
        ],
      },
    }, null, 2)};\n`);
    child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', path.join(userDir, 'settings.js')], {
      cwd: ROOT, env: { ...process.env, MIBDIRS: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => { output += d.toString(); });
    child.stderr!.on('data', (d) => { output += d.toString(); });
    const deadline = Date.now() + 45000;
    while (!output.includes('Server now running')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`Node-RED did not start:\n${output.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('refuses anonymous requests', async () => {
    assert.equal((await fetch(`${base()}/snmp-fleet/mib/complete?q=ifHC`)).status, 401);
    assert.equal((await fetch(`${base()}/snmp-fleet/mib/validate?name=sysName.0`)).status, 401);
  });

  it('refuses a user without snmp-fleet.read', async () => {
    const t = await token('flowsonly', 'flows.read');
    const res = await fetch(`${base()}/snmp-fleet/mib/complete?q=ifHC`, { headers: { authorization: `Bearer ${t}` } });
    assert.equal(res.status, 401);
  });

  it('serves a read user', async () => {
    const t = await token('reader', 'read');
    const res = await fetch(`${base()}/snmp-fleet/mib/complete?q=ifHCIn`, { headers: { authorization: `Bearer ${t}` } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { results: Array<{ qualified: string }> };
    assert.equal(body.results[0].qualified, 'IF-MIB::ifHCInOctets');
    const v = await fetch(`${base()}/snmp-fleet/mib/validate?name=sysName.0`, { headers: { authorization: `Bearer ${t}` } });
    assert.equal(((await v.json()) as { oid: string }).oid, '1.3.6.1.2.1.1.5.0');
  });
});
