/**
 * Issue 14 defect 5, end to end: a real Node-RED process with a file context store
 * hears two authPriv traps from Debian's snmptrap (the sender's engine at boots 4,
 * time 1000 and then 1400), is stopped and started again on the same store, and is
 * sent the first trap again, byte for byte. Before the fix the restarted node had
 * forgotten the sender's clock and accepted the replay as a first contact.
 */
import { strict as assert } from 'assert';
import * as dgram from 'dgram';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startNodeRed, type FlowNode, type NodeRed } from '../support/node-red-process';
import { freePort, randomEngineId, requireTool, runTool, Sender } from '../fixtures/packets/tools';

const ALICE = ['-v3', '-u', 'alice', '-l', 'authPriv', '-a', 'SHA-256', '-A', 'alice-auth-pass', '-x', 'AES', '-X', 'alice-priv-pass'];

function flows(port: number): FlowNode[] {
  return [
    { id: 'tab', type: 'tab', label: 'traps' },
    {
      id: 'cfg-alice', type: 'snmp-config', z: 'tab', name: 'alice', version: '3', user: 'alice', securityLevel: 'authPriv',
      authProtocol: 'sha256', privProtocol: 'aes', credentials: { authKey: 'alice-auth-pass', privKey: 'alice-priv-pass' },
    },
    { id: 'trap', type: 'trap-in', z: 'tab', snmp: 'cfg-alice', port: String(port), address: '127.0.0.1', wires: [[], []] },
  ];
}

/** The datagram snmptrap sends for `args`, caught on a socket of our own. */
async function capture(args: string[]): Promise<Buffer> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  try {
    const got = new Promise<Buffer>((resolve) => socket.once('message', (b) => resolve(b)));
    const r = await runTool(['snmptrap', ...args.map((a) => (a === '@' ? `udp:127.0.0.1:${socket.address().port}` : a))]);
    assert.equal(r.code, 0, r.stderr);
    return await got;
  } finally {
    socket.close();
  }
}

describe('trap-in across a Node-RED restart (file context store)', function () {
  this.timeout(180_000);
  let red: NodeRed | undefined;
  let contextDir: string;

  before(() => requireTool('snmptrap'));
  beforeEach(() => {
    contextDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trap-restart-context-'));
  });
  afterEach(async () => {
    await red?.stop();
    red = undefined;
    fs.rmSync(contextDir, { recursive: true, force: true });
  });

  const settings = () => ({ contextStorage: { default: { module: 'localfilesystem', config: { dir: contextDir } } } });
  const counts = (s: { text?: string }) => s.text ?? '';

  it('refuses, after the restart, a trap captured before it and older than the window', async () => {
    const engine = randomEngineId();
    const linkDown = ['', '1.3.6.1.6.3.1.1.5.3', '1.3.6.1.2.1.2.2.1.1.3', 'i', '3'];
    const captured = await capture([...ALICE, '-e', engine, '-Z', '4,1000', '-m', '', '@', ...linkDown]);
    const later = await capture([...ALICE, '-e', engine, '-Z', '4,1400', '-m', '', '@', ...linkDown]);
    const port = await freePort();
    const sender = new Sender();
    try {
      red = await startNodeRed({ settings: settings() });
      await red.deploy(flows(port));
      await red.waitForStatus('trap', (s) => /listening/.test(counts(s)));
      await sender.send(captured, port);
      await sender.send(later, port);
      await red.waitForStatus('trap', (s) => /^2 received · 0 rejected/.test(counts(s)));
      await red.stop();

      red = await startNodeRed({ settings: settings() });
      await red.deploy(flows(port));
      await red.waitForStatus('trap', (s) => /listening/.test(counts(s)));
      await sender.send(captured, port);
      const status = await red.waitForStatus('trap', (s) => /^1 received/.test(counts(s)));
      assert.match(counts(status), /^1 received · 1 rejected/, 'the replay is refused as before the restart');
      // the saved state names the sender's engine by its ID, in readable fields
      const saved = fs.readdirSync(contextDir, { recursive: true }).map(String).filter((f) => f.endsWith('trap.json'));
      assert.equal(saved.length, 1, `one context file for the node: ${saved.join(', ')}`);
      const state = JSON.parse(fs.readFileSync(path.join(contextDir, saved[0]), 'utf8')).engine;
      assert.deepEqual(state.clocks.map((c: { engine: string; user: string; boots: number }) => [c.engine, c.user, c.boots]), [[engine.slice(2), 'alice', 4]]);
    } finally {
      sender.close();
    }
  });
});
