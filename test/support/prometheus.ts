/**
 * A private Debian Prometheus for integration tests: its config (JSON, which YAML
 * reads) and TSDB in a temporary folder, listening on a free 127.0.0.1 port, scraping
 * what the test names; ready once /-/ready answers; PromQL through the HTTP API. stop()
 * ends the process (SIGKILL after a bounded wait) and removes the folder.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freeTcpPort } from './node-red-process';

export const PROMETHEUS = '/usr/bin/prometheus';

/** One scrape_configs entry, as prometheus.yml spells it. */
export interface ScrapeConfig {
  job_name: string;
  scrape_interval?: string;
  scrape_timeout?: string;
  metrics_path?: string;
  static_configs: Array<{ targets: string[]; labels?: Record<string, string> }>;
  basic_auth?: { username: string; password: string };
  [key: string]: unknown;
}

/** One series of a PromQL answer: its labels and [seconds, "value"] samples. */
export interface PromSeries {
  metric: Record<string, string>;
  value?: [number, string];
  values?: Array<[number, string]>;
}

export interface Prometheus {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly dir: string;
  output(): string;
  /** An instant query (`time` in s, default now); rejects on a PromQL error. */
  query(promql: string, time?: number): Promise<PromSeries[]>;
  /** A range query from `start` to `end` (s) every `step` s. */
  queryRange(promql: string, start: number, end: number, step: number): Promise<PromSeries[]>;
  /** The scrape targets with their health, last error and last scrape. */
  targets(): Promise<Array<{ job: string; health: string; lastError: string; scrapeUrl: string }>>;
  /** Resolves once every target has been scraped successfully at least once. */
  waitForTargetsUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  scrapeConfigs: ScrapeConfig[];
  /** Global scrape and evaluation interval (default 1s). */
  interval?: string;
  startTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts Prometheus; rejects with the install command when the binary is missing. */
export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  if (!fs.existsSync(PROMETHEUS)) {
    throw new Error(`no ${PROMETHEUS}: install it with: apt-get install -y --no-install-recommends prometheus (or run npm run system-deps as root)`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prometheus-test-'));
  const port = await freeTcpPort();
  const interval = options.interval ?? '1s';
  const config = { global: { scrape_interval: interval, evaluation_interval: interval }, scrape_configs: options.scrapeConfigs };
  const configFile = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  let log = '';
  const child: ChildProcess = spawn(PROMETHEUS, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    // Debian's defaults point at /etc/prometheus; nothing outside the folder is read
    `--web.console.templates=${path.join(dir, 'consoles')}`,
    `--web.console.libraries=${path.join(dir, 'console_libraries')}`,
    '--log.level=warn',
  ], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => { log += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
  const url = `http://127.0.0.1:${port}`;

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 8000);
      await exited;
      clearTimeout(killer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 30000);
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode}:\n${log.slice(-2000)}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus did not become ready:\n${log.slice(-2000)}`);
    }
    await sleep(200);
  }

  async function api(endpoint: string, params: Record<string, string>): Promise<any> {
    const res = await fetch(`${url}/api/v1/${endpoint}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
    });
    const body = await res.json() as { status: string; data: any; error?: string };
    if (body.status !== 'success') throw new Error(`${endpoint} ${JSON.stringify(params)}: ${body.error}`);
    return body.data;
  }

  const prometheus: Prometheus = {
    url,
    dir,
    output: () => log,
    async query(promql, time) {
      const data = await api('query', { query: promql, ...(time === undefined ? {} : { time: String(time) }) });
      if (data.resultType === 'scalar') return [{ metric: {}, value: data.result }];
      return data.result as PromSeries[];
    },
    async queryRange(promql, start, end, step) {
      const data = await api('query_range', { query: promql, start: String(start), end: String(end), step: String(step) });
      return data.result as PromSeries[];
    },
    async targets() {
      const res = await fetch(`${url}/api/v1/targets`);
      const body = await res.json() as { data: { activeTargets: any[] } };
      return body.data.activeTargets.map((t) => ({ job: t.labels.job, health: t.health, lastError: t.lastError, scrapeUrl: t.scrapeUrl }));
    },
    async waitForTargetsUp(timeoutMs = 30000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const targets = await prometheus.targets();
        if (targets.length > 0 && targets.every((t) => t.health === 'up')) return;
        if (Date.now() > until) throw new Error(`targets not up: ${JSON.stringify(targets)}`);
        await sleep(250);
      }
    },
    stop,
  };
  return prometheus;
}
