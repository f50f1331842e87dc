/**
 * A private Debian snmpd for integration tests: its own config and persistent dir in a
 * temp folder, bound to a free loopback port, stopped (and the folder removed) by stop().
 */
import { spawn, type ChildProcess } from 'child_process';
import * as dgram from 'dgram';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const SNMPD = fs.existsSync('/usr/sbin/snmpd') ? '/usr/sbin/snmpd' : 'snmpd';

export interface SnmpdUser {
  name: string;
  /** snmpd names: MD5, SHA, SHA-224, SHA-256, SHA-384, SHA-512 */
  auth?: string;
  authKey?: string;
  /** snmpd names: DES, AES, AES-192, AES-256 */
  priv?: string;
  privKey?: string;
}

export interface SnmpdOptions {
  community?: string;
  users?: SnmpdUser[];
  host?: string;
  sysName?: string;
  extra?: string[];
}

export interface Snmpd {
  host: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}

/** A free UDP port on the host (bound then released; good enough on loopback). */
export function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    s.once('error', reject);
    s.bind(0, host, () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

export async function startSnmpd(opts: SnmpdOptions = {}): Promise<Snmpd> {
  const host = opts.host ?? '127.0.0.1';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snmpd-test-'));
  fs.mkdirSync(path.join(dir, 'persist'));
  const lines: string[] = [];
  const port = await freeUdpPort(host);
  lines.push(`agentAddress ${host.includes(':') ? 'udp6' : 'udp'}:${host.includes(':') ? `[${host}]` : host}:${port}`);
  lines.push(`rocommunity${host.includes(':') ? '6' : ''} ${opts.community ?? 'public'} ${host}`);
  lines.push(`sysName ${opts.sysName ?? 'snmpd-test'}`, 'sysLocation test-lab', 'sysContact ops@example.test');
  for (const u of opts.users ?? []) {
    const level = u.priv ? 'priv' : u.auth ? 'auth' : 'noauth';
    const create = ['createUser', u.name];
    if (u.auth) create.push(u.auth, u.authKey ?? '');
    if (u.priv) create.push(u.priv, u.privKey ?? '');
    lines.push(create.join(' '));
    lines.push(`rouser ${u.name} ${level}`);
  }
  lines.push(...(opts.extra ?? []));
  const conf = path.join(dir, 'snmpd.conf');
  fs.writeFileSync(conf, lines.join('\n') + '\n');
  const child: ChildProcess = spawn(SNMPD, ['-f', '-Lo', '-C', '-c', conf, '-m', '', '-I', '-smux,mteTrigger,mteTriggerConf'], {
    env: { ...process.env, SNMPCONFPATH: dir, SNMP_PERSISTENT_DIR: path.join(dir, 'persist'), MIBS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`snmpd did not start: ${output.slice(-500)}`)), 10000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('NET-SNMP version')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`snmpd exited with ${code}: ${output.slice(-500)}`));
    });
  });
  await ready;
  child.removeAllListeners('exit');
  return {
    host,
    port,
    dir,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) {
        fs.rmSync(dir, { recursive: true, force: true });
        resolve();
        return;
      }
      const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.once('exit', () => {
        clearTimeout(kill);
        fs.rmSync(dir, { recursive: true, force: true });
        resolve();
      });
      child.kill('SIGTERM');
    }),
  };
}
