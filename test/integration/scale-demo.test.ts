/**
 * `npm run scale-demo` as a user runs it: its own process group (a shell job), a private
 * folder, a small fleet and one worker. Results must flow (every device answering in a
 * cycle), and Ctrl-C (SIGINT to the group), SIGTERM and SIGHUP must each stop
 * mosquitto, redis-server, the Node-REDs and the simulator, and remove the folder.
 */
import { strict as assert } from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { processesOf } from '../support/handles';

const ROOT = path.resolve(__dirname, '..', '..');
const DEVICES = 12;

async function runUntil(signal: NodeJS.Signals, toGroup: boolean): Promise<void> {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'scale-demo-test-')), 'run');
  let out = '';
  const demo = spawn(process.execPath, ['scripts/scale-demo.js', '--workers', '1', '--devices', String(DEVICES), '--interval', '3', '--port', '0', '--dir', dir], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  demo.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => demo.once('exit', (code, sig) => resolve({ code, signal: sig })));
  try {
    const deadline = Date.now() + 150000;
    while (!out.includes(`${DEVICES} of ${DEVICES} devices answered`)) {
      if (demo.exitCode !== null || Date.now() > deadline) assert.fail(`no full cycle:\n${out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.match(out, /Redis redis:\/\/127\.0\.0\.1:\d+ and MQTT broker mqtt:\/\/127\.0\.0\.1:\d+ \(mosquitto\)/);
    assert.match(out, /aggregator \(scheduler, counter-rate and threshold-alert on Redis\): http:\/\/127\.0\.0\.1:\d+\//);
    assert.ok(processesOf(dir).length >= 4, `redis-server, mosquitto and two Node-REDs run in ${dir}`);
    if (toGroup) process.kill(-demo.pid!, signal);
    else process.kill(demo.pid!, signal);
    const result = await Promise.race([exit, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running 40 s after ${signal}:\n${out.slice(-2000)}`)), 40000))]);
    assert.equal(result.code, 0, `${signal}: exited with ${result.code ?? result.signal}:\n${out.slice(-2000)}`);
    assert.match(out, new RegExp(`\\[scale-demo\\] ${signal}: stopping[\\s\\S]*\\[scale-demo\\] stopped`));
    let left = processesOf(dir, demo.pid);
    for (let i = 0; i < 20 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = processesOf(dir, demo.pid);
    }
    assert.deepEqual(left, [], 'no process left behind');
    assert.equal(fs.existsSync(dir), false, 'its folder is removed');
  } finally {
    if (demo.exitCode === null && demo.signalCode === null) {
      try { process.kill(-demo.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
    for (const line of processesOf(dir)) {
      try { process.kill(Number(line.split(' ')[0]), 'SIGKILL'); } catch { /* gone */ }
    }
    fs.rmSync(path.dirname(dir), { recursive: true, force: true });
  }
}

describe('npm run scale-demo (mosquitto, redis-server, simulator, aggregator and a worker)', function () {
  this.timeout(240000);

  it('runs the whole shape and stops on Ctrl-C (SIGINT to its process group)', () => runUntil('SIGINT', true));
  it('stops on SIGTERM', () => runUntil('SIGTERM', false));
  it('stops on SIGHUP (its terminal closed)', () => runUntil('SIGHUP', false));
});
