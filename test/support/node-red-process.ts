/**
 * A real Node-RED for integration and editor tests: its own process
 * (`node node_modules/node-red/red.js --userDir <tmp> --settings <tmp>/settings.js`), bound
 * to 127.0.0.1 on a free port, with this pack in userDir/node_modules — a symlink to the
 * repository as scripts/demo.js makes it, or whatever the caller installed there (the
 * packed tarball). Flows are deployed through the admin HTTP API and node status is read
 * from the editor's comms websocket, as the editor itself receives it. stop() ends the
 * process (SIGKILL after a bounded wait) and removes the userDir, leaving nothing behind.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import WebSocket from 'ws';

export const ROOT = path.resolve(__dirname, '..', '..');
export const PACKAGE_NAME: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).name;
const RED_JS = require.resolve('node-red/red.js');

export interface NodeStatus {
  fill?: string;
  shape?: string;
  text?: string;
}

export interface FlowNode {
  id: string;
  type: string;
  [key: string]: unknown;
}

export interface StartOptions {
  /** 'link' (default): symlink the repository into userDir/node_modules; 'none': the caller installed the pack. */
  install?: 'link' | 'none';
  /** Use this folder (already prepared) instead of a fresh temporary one; it is still removed by stop(). */
  userDir?: string;
  /** Flows the runtime starts with (written to flows.json before start). */
  flows?: FlowNode[];
  /** Start with the flows already in userDir (a restart after kill()); `flows` is then ignored. */
  keepFlows?: boolean;
  /** Encrypts flows_cred.json; tests that look for secrets on disk rely on it. */
  credentialSecret?: string;
  /** Extra settings.js entries (JSON-serialisable). */
  settings?: Record<string, unknown>;
  /**
   * JavaScript appended to settings.js after `module.exports = {...}`, for what JSON cannot
   * hold: functions (`module.exports.httpNodeMiddleware = ...`), modules
   * (`module.exports.contextStorage = { redis: { module: require('...') } };`).
   */
  settingsCode?: string;
  env?: Record<string, string>;
  /** How long to wait for "Started flows" and the HTTP server. */
  startTimeoutMs?: number;
  /** The Node.js executable (default: the one running the tests). */
  node?: string;
  /** Node-RED's red.js (default: the project's node-red). */
  redJs?: string;
}

export interface NodeRed {
  readonly url: string;
  readonly port: number;
  readonly userDir: string;
  readonly pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Log lines at warn or error level ("[warn]", "[error]"). */
  problems(): string[];
  /** GET /flows (API v2): { rev, flows }. */
  getFlows(): Promise<{ rev: string; flows: FlowNode[] }>;
  /** POST /flows as a full deployment; credentials travel inside the nodes (`credentials: {...}`). */
  deploy(flows: FlowNode[]): Promise<string>;
  /** GET /nodes: the node sets the runtime loaded. */
  nodeSets(): Promise<Array<{ id: string; module: string; types: string[]; enabled: boolean; loaded: boolean; err?: string }>>;
  /** The node's last status as the editor would show it (undefined before any). */
  status(id: string): Promise<NodeStatus | undefined>;
  /** Resolves with the first status of `id` that satisfies `accept`. */
  waitForStatus(id: string, accept: (s: NodeStatus) => boolean, timeoutMs?: number): Promise<NodeStatus>;
  /** Any admin API request (relative path), JSON in and out. */
  request(method: string, urlPath: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
  /**
   * Kills the process with SIGKILL, as a crash would (no close handler runs, nothing is
   * written on the way out), and keeps userDir (flows, context files) for a restart:
   * `startNodeRed({ userDir })`. The caller removes the folder, or stop() does.
   */
  kill(): Promise<void>;
}

export interface DebugMessage {
  /** The debug node's name. */
  name: string;
  topic?: string;
  property?: string;
  /** The value shown, parsed when it is JSON. */
  msg: any;
}

/** Messages of the debug sidebar, as the editor receives them over /comms. */
export function watchDebug(port: number): { messages: DebugMessage[]; close(): void } {
  const messages: DebugMessage[] = [];
  const ws = new WebSocket(`ws://127.0.0.1:${port}/comms`);
  ws.on('open', () => ws.send(JSON.stringify({ subscribe: 'debug' })));
  ws.on('error', () => { /* the test fails on missing messages instead */ });
  ws.on('message', (data: WebSocket.RawData) => {
    let batch: any;
    try { batch = JSON.parse(data.toString()); } catch { return; }
    for (const m of Array.isArray(batch) ? batch : [batch]) {
      if (m?.topic !== 'debug') continue;
      let msg = m.data.msg;
      try { msg = JSON.parse(msg); } catch { /* text */ }
      messages.push({ name: m.data.name, topic: m.data.topic, property: m.data.property, msg });
    }
  });
  return { messages, close: () => ws.terminate() };
}

/** A free TCP port on 127.0.0.1 (bound then released; good enough on loopback). */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Symlinks the repository into userDir/node_modules/<package name>, as `npm link` would. */
export function linkPack(userDir: string): void {
  const link = path.join(userDir, 'node_modules', ...PACKAGE_NAME.split('/'));
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(ROOT, link, 'dir');
  const pkgFile = path.join(userDir, 'package.json');
  if (!fs.existsSync(pkgFile)) {
    fs.writeFileSync(pkgFile, JSON.stringify({ name: 'node-red-test-userdir', private: true, dependencies: { [PACKAGE_NAME]: `file:${ROOT}` } }, null, 2));
  }
}

function writeSettings(userDir: string, port: number, opts: StartOptions): string {
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: port,
    flowFile: 'flows.json',
    credentialSecret: opts.credentialSecret ?? 'node-red-process-test-secret',
    logging: { console: { level: 'info', metrics: false, audit: false } },
    // the welcome tour and update checks would cover the editor or reach the network
    editorTheme: { tours: false, palette: { catalogues: [] } },
    diagnostics: { enabled: false },
    telemetry: { enabled: false },
    externalModules: { palette: { allowInstall: false }, modules: { allowInstall: false } },
    ...opts.settings,
  };
  const file = path.join(userDir, 'settings.js');
  fs.writeFileSync(file, `module.exports = ${JSON.stringify(settings, null, 2)};\n${opts.settingsCode ?? ''}\n`);
  return file;
}

/** Starts Node-RED and resolves once its flows are started. */
export async function startNodeRed(opts: StartOptions = {}): Promise<NodeRed> {
  const userDir = opts.userDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'node-red-test-'));
  const port = await freeTcpPort();
  if ((opts.install ?? 'link') === 'link') linkPack(userDir);
  const settingsFile = writeSettings(userDir, port, opts);
  if (!opts.keepFlows || !fs.existsSync(path.join(userDir, 'flows.json'))) {
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(opts.flows ?? []));
  }

  let log = '';
  const child: ChildProcess = spawn(opts.node ?? process.execPath, [opts.redJs ?? RED_JS, '--userDir', userDir, '--settings', settingsFile], {
    cwd: userDir,
    env: { ...process.env, NODE_RED_ENABLE_TOURS: 'false', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => { log += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
  const url = `http://127.0.0.1:${port}`;

  let ws: WebSocket | undefined;
  let wsOpen: Promise<void> | undefined;
  const statuses = new Map<string, NodeStatus>();
  const watchers = new Set<() => void>();

  const closeComms = () => {
    if (ws) {
      ws.removeAllListeners();
      ws.on('error', () => { /* closing anyway */ });
      ws.terminate();
      ws = undefined;
    }
  };

  const kill = async () => {
    closeComms();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      await exited;
    }
  };

  const stop = async () => {
    closeComms();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGINT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 8000);
      await exited;
      clearTimeout(killer);
    }
    fs.rmSync(userDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 45000);
  // flows can start before the HTTP server listens: wait for both, or the first request races it
  while (!log.includes('Started flows') || !log.includes('Server now running at')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const tail = log.slice(-3000);
      await stop();
      throw new Error(`Node-RED did not start:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  async function request(method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(url + urlPath, {
      method,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, body: parsed as any };
  }

  function comms(): Promise<void> {
    if (wsOpen) return wsOpen;
    wsOpen = new Promise<void>((resolve, reject) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/comms`);
      ws = socket;
      socket.once('error', reject);
      socket.once('open', () => {
        // retained statuses arrive right after subscribing
        socket.send(JSON.stringify({ subscribe: 'status/#' }));
        resolve();
      });
      socket.on('message', (data: WebSocket.RawData) => {
        let batch: unknown;
        try { batch = JSON.parse(data.toString()); } catch { return; }
        for (const m of Array.isArray(batch) ? batch : [batch]) {
          const { topic, data: status } = (m ?? {}) as { topic?: string; data?: NodeStatus };
          if (typeof topic === 'string' && topic.startsWith('status/')) statuses.set(topic.slice('status/'.length), status ?? {});
        }
        for (const w of [...watchers]) w();
      });
    });
    return wsOpen;
  }

  return {
    url,
    port,
    userDir,
    pid: child.pid!,
    output: () => log,
    problems: () => log.split('\n').filter((l) => /\[(warn|error)\]/.test(l)),
    async getFlows() {
      const res = await request('GET', '/flows', undefined, { 'Node-RED-API-Version': 'v2' });
      if (res.status !== 200) throw new Error(`GET /flows: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async deploy(flows: FlowNode[]) {
      await comms();
      const res = await request('POST', '/flows', { flows }, { 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' });
      if (res.status !== 200) throw new Error(`POST /flows: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.rev as string;
    },
    async nodeSets() {
      const res = await request('GET', '/nodes');
      if (res.status !== 200) throw new Error(`GET /nodes: ${res.status}`);
      return res.body;
    },
    async status(id: string) {
      await comms();
      return statuses.get(id);
    },
    async waitForStatus(id: string, accept: (s: NodeStatus) => boolean, timeoutMs = 15000) {
      await comms();
      return new Promise<NodeStatus>((resolve, reject) => {
        const check = () => {
          const s = statuses.get(id);
          if (s && accept(s)) {
            clearTimeout(timer);
            watchers.delete(check);
            resolve(s);
          }
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`status of ${id} is ${JSON.stringify(statuses.get(id))}, still not the one awaited after ${timeoutMs} ms`));
        }, timeoutMs);
        watchers.add(check);
        check();
      });
    },
    request,
    stop,
    kill,
  };
}

/** Installs a package of this repository's node_modules into userDir/node_modules as a symlink. */
export function linkModule(userDir: string, name: string): void {
  const link = path.join(userDir, 'node_modules', ...name.split('/'));
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules', ...name.split('/')), link, 'dir');
}
