/**
 * A Node-RED context store on Redis, over the maintained `redis` client, for state that
 * must outlive one Node-RED process: a standby aggregator on the same Redis resumes
 * counter-rate and threshold-alert where the first one stopped (README "Scaling out").
 *
 * settings.js:
 *
 *     contextStorage: {
 *       default: { module: 'memory' },
 *       redis: {
 *         module: require('@snmp-fleet/node-red-snmp-fleet/nodes/context/redis'),
 *         config: { url: 'redis://127.0.0.1:6379', prefix: 'nodered' },
 *       },
 *     }
 *
 * The store API is Node-RED's (runtime lib/nodes/context/memory.js, localfilesystem.js):
 * get/set/keys with a callback, several keys at once, nested property paths resolved by
 * the store, `undefined` deletes, delete(scope) and clean(activeIds) as Promises.
 *
 * Layout: one Redis hash per scope, `<prefix>:<scope>`, a field per top-level key
 * holding its JSON. A nested set (`a.b`) reads the field, changes it and writes it back;
 * the operations of a scope run one after another in call order, so
 * writes of one process never overtake each other and a get sees the sets made before
 * it. Values are serialised when set is called: a caller may go on changing the object.
 *
 * Redis down or unreachable: every call answers with an error through its callback
 * (code STORE_UNAVAILABLE, naming the server, never the password), nothing is thrown;
 * the client reconnects with back-off, logging the loss and the return once each;
 * open() waits a bounded time for the first connection, so Node-RED starts anyway.
 * Like the file store without cache, the store only answers asynchronously: a get or
 * keys without a callback throws.
 */
import { createClient, ErrorReply } from 'redis';
import { STORE_UNAVAILABLE } from '../common/state-store';
import { getPath, parsePath, setPath, type PathPart } from './context-path';

export interface RedisContextConfig {
  /** redis[s]://[[user]:password@]host[:port][/db]; default redis://127.0.0.1:6379. */
  url?: string;
  /** Key prefix: `<prefix>:<scope>`; default "nodered". One prefix per set of flows (clean() removes the scopes of nodes it does not know). */
  prefix?: string;
  /** Longest wait for one command, ms (default 5000). */
  timeout?: number;
  /** Longest wait of open() for the first connection, ms (default 5000). */
  connectTimeout?: number;
  /** Added by the runtime (userDir); unused. */
  settings?: unknown;
}

/** The commands the store uses, as the `redis` client offers them. */
export interface RedisCommands {
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  destroy(): void;
  close(): Promise<unknown>;
  on(event: 'error' | 'ready' | 'end' | 'reconnecting', listener: (...args: any[]) => void): unknown;
  hmGet(key: string, fields: string[]): Promise<Array<string | null>>;
  hKeys(key: string): Promise<string[]>;
  hSet(key: string, values: Record<string, string>): Promise<unknown>;
  hDel(key: string, fields: string[]): Promise<unknown>;
  del(key: string | string[]): Promise<unknown>;
  multi(): { hSet(key: string, values: Record<string, string>): any; hDel(key: string, fields: string[]): any; exec(): Promise<unknown> };
  scanIterator(options: { MATCH: string; COUNT: number }): AsyncIterable<string[] | string>;
}

type Logger = { warn(text: string): void; info(text: string): void };

/** Node-RED's log when the runtime can be reached from the main module (red.js), else the console. */
function runtimeLog(): Logger {
  try {
    const log = require.main?.require('@node-red/util')?.log;
    if (log && typeof log.warn === 'function' && typeof log.info === 'function') return log;
  } catch {
    // started outside Node-RED (tests, scripts)
  }
  return { warn: (t) => console.warn(`[warn] ${t}`), info: (t) => console.log(`[info] ${t}`) };
}

/** Reconnection back-off: 100 ms doubling to 10 s, with jitter so many processes do not beat together. */
export function reconnectDelay(retries: number): number {
  const base = Math.min(10000, 100 * 2 ** Math.min(retries, 10));
  return Math.round(base * (0.8 + 0.4 * Math.random()));
}

/** host:port of a Redis URL, never its credentials. */
export function describeServer(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '6379'}`;
  } catch {
    return 'the configured server';
  }
}

/** A key parsed once: its path, and the hash field that holds it (the first part). */
interface ParsedKey {
  parts: PathPart[];
  field: string;
}

/** One change of a set call: top-level values travel as JSON text, nested ones as a copy. */
type Change = { key: ParsedKey; json: string | undefined } | { key: ParsedKey; nested: unknown };

/** Copies `value` as JSON would store it (Buffers, Dates, undefined members as JSON makes them). */
function jsonCopy(value: unknown): unknown {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
}

export class RedisContextStore {
  private client: RedisCommands | undefined;
  private readonly prefix: string;
  private readonly url: string;
  private readonly server: string;
  private readonly timeout: number;
  private readonly connectTimeout: number;
  /** The tail of each scope's queue of operations. */
  private readonly chains = new Map<string, Promise<unknown>>();
  private connected = false;
  private lostLogged = false;
  private closing = false;
  private readonly log: Logger;

  /**
   * @param config as in settings.js
   * @param factory builds the client (tests hand in a fake); default: the `redis` client
   */
  constructor(config: RedisContextConfig = {}, private readonly factory?: (options: Record<string, unknown>) => RedisCommands, log?: Logger) {
    this.url = typeof config.url === 'string' && config.url !== '' ? config.url : 'redis://127.0.0.1:6379';
    this.server = describeServer(this.url);
    this.prefix = typeof config.prefix === 'string' && config.prefix !== '' ? config.prefix : 'nodered';
    this.timeout = positiveOr(config.timeout, 5000);
    this.connectTimeout = positiveOr(config.connectTimeout, 5000);
    this.log = log ?? runtimeLog();
  }

  /** Connects; resolves once connected or after `connectTimeout` (the client goes on trying). */
  open(): Promise<void> {
    this.closing = false;
    const options = {
      url: this.url,
      // Commands fail at once while disconnected instead of piling up: the nodes keep
      // their state in memory and write it again once the store is back.
      disableOfflineQueue: true,
      commandOptions: { timeout: this.timeout },
      socket: { connectTimeout: this.connectTimeout, reconnectStrategy: (retries: number) => (this.closing ? false : reconnectDelay(retries)) },
    };
    const client = this.factory ? this.factory(options) : (createClient(options) as unknown as RedisCommands);
    this.client = client;
    client.on('error', (err: Error) => {
      // every failed reconnect emits one: say it once per outage
      if (this.closing || this.lostLogged) return;
      this.lostLogged = true;
      this.log.warn(`Redis context store: ${this.server} unavailable (${errorText(err)}); reconnecting`);
    });
    client.on('ready', () => {
      if (this.connected === false && this.lostLogged) this.log.info(`Redis context store: connected to ${this.server} again`);
      this.connected = true;
      this.lostLogged = false;
    });
    client.on('end', () => {
      this.connected = false;
    });
    client.on('reconnecting', () => {
      this.connected = false;
    });
    const first = client.connect().then(() => undefined, () => undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.connectTimeout + 500);
      void first.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    // let queued operations finish (each is bounded by the command timeout)
    await Promise.allSettled([...this.chains.values()]);
    if (!client.isReady) {
      client.destroy();
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.close().catch(() => client.destroy()),
      new Promise<void>((resolve) => { timer = setTimeout(() => { client.destroy(); resolve(); }, this.timeout); }),
    ]);
    clearTimeout(timer);
  }

  get(scope: string, key: string | string[], callback?: (err: Error | null | undefined, ...values: unknown[]) => void): void {
    if (typeof callback !== 'function') throw new Error('The Redis context store answers asynchronously: give get() a callback');
    const keys = Array.isArray(key) ? key : [key];
    let parsed: ParsedKey[];
    try {
      parsed = keys.map(parseKey);
    } catch (err) {
      callback(err as Error);
      return;
    }
    const fields = [...new Set(parsed.map((k) => k.field))];
    this.enqueue(scope, async (client) => {
      const raw = fields.length === 0 ? [] : await client.hmGet(this.hashKey(scope), fields);
      const data: Record<string, unknown> = Object.create(null);
      fields.forEach((f, i) => {
        const text = raw[i];
        if (text !== null && text !== undefined) data[f] = JSON.parse(text);
      });
      return parsed.map((k) => getPath(data, k.parts));
    }).then(
      (values) => (Array.isArray(key) ? callback(undefined, ...values) : callback(undefined, values[0])),
      (err: Error) => callback(err),
    );
  }

  set(scope: string, key: string | string[], value: unknown, callback?: (err?: Error | null) => void): void {
    if (callback !== undefined && typeof callback !== 'function') throw new Error('Callback must be a function');
    const cb = callback ?? (() => undefined);
    const keys = Array.isArray(key) ? key : [key];
    // as the memory store: one value for several keys sets the first, the others get null
    const values = Array.isArray(key) ? (Array.isArray(value) ? value : [value]) : [value];
    let changes: Change[];
    try {
      changes = keys.map((k, i) => {
        const parsed = parseKey(k);
        const v = i < values.length ? values[i] : null;
        return parsed.parts.length === 1 ? { key: parsed, json: v === undefined ? undefined : JSON.stringify(v) } : { key: parsed, nested: jsonCopy(v) };
      });
    } catch (err) {
      cb(err as Error);
      return;
    }
    this.enqueue(scope, (client) => this.apply(client, scope, changes)).then(() => cb(null), (err: Error) => cb(err));
  }

  keys(scope: string, callback?: (err: Error | null | undefined, keys?: string[]) => void): void {
    if (typeof callback !== 'function') throw new Error('Callback must be a function');
    this.enqueue(scope, (client) => client.hKeys(this.hashKey(scope))).then(
      (keys) => callback(null, scope === 'global' ? keys.filter((k) => k !== 'set' && k !== 'get' && k !== 'keys') : keys),
      (err: Error) => callback(err),
    );
  }

  /** Removes a scope. Redis unreachable: logged, and the Promise still resolves (the runtime would stop deploying otherwise). */
  delete(scope: string): Promise<void> {
    return this.enqueue(scope, (client) => client.del(this.hashKey(scope))).then(
      () => undefined,
      (err: Error) => this.log.warn(`Redis context store: could not delete context ${scope}: ${err.message}`),
    );
  }

  /**
   * Removes the node and flow scopes whose node (or flow) is not in `activeIds`; global
   * stays. As delete(): a failure is logged, never a rejection, since Node-RED skips
   * starting the flows when clean() rejects.
   */
  async clean(activeIds: string[]): Promise<void> {
    const active = new Set(activeIds);
    try {
      const client = this.ready();
      const stale: string[] = [];
      const head = `${this.prefix}:`;
      for await (const batch of client.scanIterator({ MATCH: `${globEscape(this.prefix)}:*`, COUNT: 500 })) {
        for (const redisKey of Array.isArray(batch) ? batch : [batch]) {
          const scope = redisKey.slice(head.length);
          if (scope === 'global') continue;
          if (!active.has(scope.split(':')[0])) stale.push(scope);
        }
      }
      await Promise.all(stale.map((scope) => this.delete(scope)));
    } catch (err) {
      this.log.warn(`Redis context store: could not clean old contexts: ${(err as Error).message}`);
    }
  }

  private hashKey(scope: string): string {
    return `${this.prefix}:${scope}`;
  }

  /** The client, or an error naming the server when it is not connected. */
  private ready(): RedisCommands {
    const client = this.client;
    if (!client || !client.isReady) throw this.unavailable(client ? 'not connected' : 'store closed');
    return client;
  }

  private unavailable(reason: string): Error {
    const err = new Error(`Redis context store: ${this.server} unavailable (${reason})`) as Error & { code: string };
    err.code = STORE_UNAVAILABLE;
    return err;
  }

  /** Runs `op` after the earlier operations of `scope`; connection failures become STORE_UNAVAILABLE errors. */
  private enqueue<T>(scope: string, op: (client: RedisCommands) => Promise<T>): Promise<T> {
    const before = this.chains.get(scope) ?? Promise.resolve();
    const run = before.then(async () => {
      const client = this.ready();
      try {
        return await op(client);
      } catch (err) {
        if (err instanceof ErrorReply || err instanceof SyntaxError) throw err;
        throw this.unavailable(errorText(err));
      }
    });
    const tail = run.catch(() => undefined);
    this.chains.set(scope, tail);
    void tail.then(() => {
      if (this.chains.get(scope) === tail) this.chains.delete(scope);
    });
    return run;
  }

  /**
   * Applies one set call: top-level values written as they are, nested ones read,
   * changed and written back; sets and deletes of one call go in one MULTI.
   */
  private async apply(client: RedisCommands, scope: string, changes: Change[]): Promise<void> {
    const hash = this.hashKey(scope);
    const nestedFields = [...new Set(changes.filter((c) => 'nested' in c).map((c) => c.key.field))];
    const data: Record<string, unknown> = Object.create(null);
    if (nestedFields.length > 0) {
      const raw = await client.hmGet(hash, nestedFields);
      nestedFields.forEach((f, i) => {
        const text = raw[i];
        if (text !== null && text !== undefined) data[f] = JSON.parse(text);
      });
    }
    // the final JSON of each touched field (undefined = delete), in call order
    const final = new Map<string, string | undefined>();
    for (const c of changes) {
      const field = c.key.field;
      if ('json' in c) {
        final.set(field, c.json);
        if (nestedFields.includes(field)) data[field] = c.json === undefined ? undefined : JSON.parse(c.json);
        continue;
      }
      setPath(data, c.key.parts, c.nested);
      final.set(field, data[field] === undefined ? undefined : JSON.stringify(data[field]));
    }
    const toSet: Record<string, string> = {};
    const toDelete: string[] = [];
    for (const [field, json] of final) {
      if (json === undefined) toDelete.push(field);
      else toSet[field] = json;
    }
    const setting = Object.keys(toSet).length > 0;
    if (setting && toDelete.length > 0) await client.multi().hSet(hash, toSet).hDel(hash, toDelete).exec();
    else if (setting) await client.hSet(hash, toSet);
    else if (toDelete.length > 0) await client.hDel(hash, toDelete);
  }
}

function parseKey(key: unknown): ParsedKey {
  if (typeof key !== 'string') throw new TypeError('A context key must be a string');
  const parts = parsePath(key);
  return { parts, field: String(parts[0]) };
}

function positiveOr(v: unknown, fallback: number): number {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** Redis glob special characters in a prefix matched literally. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

function errorText(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown };
  const text = typeof e?.code === 'string' && e.code !== '' ? e.code : typeof e?.message === 'string' ? e.message : String(err);
  // a connection error could quote the URL; the password stays out of logs and callbacks
  return text.replace(/\/\/[^@/\s]*@/g, '//').slice(0, 200);
}
