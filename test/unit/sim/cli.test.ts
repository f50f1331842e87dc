import { strict as assert } from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import * as dgram from 'dgram';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as snmp from 'net-snmp';

const ROOT = path.resolve(__dirname, '../../..');

/** Runs the CLI from source (tsx), as `npm run sim` runs its compiled form. */
function cli(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/sim/cli.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

function lines(child: ChildProcess): { all: string[]; next: (match: (line: string) => boolean) => Promise<string> } {
  const all: string[] = [];
  const waiters: Array<{ match: (l: string) => boolean; resolve: (l: string) => void }> = [];
  let rest = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    rest += chunk.toString();
    const parts = rest.split('\n');
    rest = parts.pop()!;
    for (const line of parts) {
      all.push(line);
      for (const w of waiters.splice(0)) {
        if (w.match(line)) w.resolve(line);
        else waiters.push(w);
      }
    }
  });
  return {
    all,
    next: (match) => new Promise((resolve, reject) => {
      const found = all.find(match);
      if (found) return resolve(found);
      waiters.push({ match, resolve });
      child.once('exit', (code) => reject(new Error(`cli exited (${code}) before the expected line; stderr: ${stderrOf(child)}`)));
    }),
  };
}

const stderrText = new WeakMap<ChildProcess, string>();
function stderrOf(child: ChildProcess): string { return stderrText.get(child) ?? ''; }
function collectStderr(child: ChildProcess): void {
  stderrText.set(child, '');
  child.stderr!.on('data', (c: Buffer) => stderrText.set(child, stderrOf(child) + c.toString()));
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

describe('fleet simulator CLI', function () {
  this.timeout(30000);
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('starts a fleet, writes the inventory, logs events and stops cleanly on SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sim-cli-'));
    const inventory = path.join(dir, 'inventory.txt');
    const sink = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', () => resolve()));
    const traps: Buffer[] = [];
    sink.on('message', (m) => traps.push(m));
    const child = cli(['--devices', '6', '--interfaces', '8', '--inventory', inventory, '--dead', '1', '--garbage', '1', '--label', 'site=par,lon',
      '--reboot-every', '1', '--trap-to', `127.0.0.1:${sink.address().port}`]);
    children.push(child);
    collectStderr(child);
    const out = lines(child);
    try {
      const ready = JSON.parse(await out.next((l) => l.startsWith('{"event":"ready"')));
      assert.equal(ready.devices, 6);
      assert.equal(ready.dead, 1);
      assert.equal(ready.garbage, 1);
      const inv = fs.readFileSync(inventory, 'utf8').trim().split('\n');
      assert.equal(inv.length, 6);
      assert.match(inv[1], /^127\.0\.0\.1:\d+ sim-0001 site=lon$/);
      const port = Number(/:(\d+) /.exec(inv[0])![1]);
      const deadPort = Number(/:(\d+) /.exec(inv[5])![1]);
      const garbagePort = Number(/:(\d+) /.exec(inv[4])![1]);

      const s = snmp.createSession('127.0.0.1', 'public', { port, version: snmp.Version2c, timeout: 1000, retries: 0 });
      const dead = snmp.createSession('127.0.0.1', 'public', { port: deadPort, version: snmp.Version2c, timeout: 300, retries: 0 });
      const garbage = snmp.createSession('127.0.0.1', 'public', { port: garbagePort, version: snmp.Version2c, timeout: 300, retries: 0 });
      garbage.on('error', () => { /* the broken answer, as net-snmp reports it */ });
      try {
        const get = (session: any) => new Promise<any[]>((resolve, reject) => session.get(['1.3.6.1.2.1.1.5.0'], (e: Error, v: any[]) => (e ? reject(e) : resolve(v))));
        assert.equal((await get(s))[0].value.toString(), 'sim-0000');
        await assert.rejects(get(dead), snmp.RequestTimedOutError);
        // a truncated datagram: no usable answer, whatever net-snmp makes of it
        await assert.rejects(get(garbage));
      } finally {
        s.close();
        dead.close();
        garbage.close();
      }
      await out.next((l) => / reboot sim-\d{4} /.test(l));
      await out.next((l) => / trap coldStart from /.test(l));
      child.kill('SIGTERM');
      assert.equal(await exitCode(child), 0);
      const stopped = JSON.parse(out.all.find((l) => l.startsWith('{"event":"stopped"'))!);
      assert.ok(stopped.requests >= 2);
      assert.ok(traps.length >= 1, 'a coldStart trap arrived');
      assert.ok(!out.all.join('\n').includes('public'), 'the community is never printed');
    } finally {
      await new Promise<void>((resolve) => sink.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints usage for --help and fails with exit code 2 on a bad option', async () => {
    const help = cli(['--help']);
    children.push(help);
    const text = lines(help);
    assert.equal(await exitCode(help), 0);
    assert.match(text.all.join('\n'), /--devices N/);
    const bad = cli(['--devices', 'many']);
    children.push(bad);
    collectStderr(bad);
    assert.equal(await exitCode(bad), 2);
    assert.match(stderrOf(bad), /--devices needs an integer/);
  });

  it('fails with exit code 1 and a clear message when a base port is taken', async () => {
    const blocker = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => blocker.bind(0, '127.0.0.1', () => resolve()));
    try {
      const child = cli(['--devices', '3', '--base-port', String(blocker.address().port)]);
      children.push(child);
      collectStderr(child);
      assert.equal(await exitCode(child), 1);
      assert.match(stderrOf(child), /already in use/);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
