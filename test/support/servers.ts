/**
 * Private Debian redis-server and mosquitto for the scale-out tests, each on a free
 * 127.0.0.1 port with its own folder, able to stop and start again on the same port (an
 * outage on purpose). The implementation is shared with `npm run scale-demo` and the
 * bench (scripts/lib/servers.js); this module gives it types.
 */
const impl = require('../../scripts/lib/servers.js');

export interface PrivateServer {
  /** redis://127.0.0.1:<port> or mqtt://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** undefined while stopped */
  readonly pid: number | undefined;
  output(): string;
  /** Starts it again after stop(): same port, same folder. */
  start(): Promise<void>;
  /** SIGTERM (or the given signal), SIGKILL after 5 s. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Stops it and deletes its folder; idempotent. */
  remove(): Promise<void>;
}

/** A private redis-server; with `password`, clients must AUTH (`redis://:<password>@127.0.0.1:<port>`). */
export function startRedis(options: { dir?: string; password?: string } = {}): Promise<PrivateServer> {
  return impl.startRedis(options);
}

export function startMosquitto(options: { dir?: string } = {}): Promise<PrivateServer> {
  return impl.startMosquitto(options);
}

/** CPU time (ms, user + system) of a process so far; undefined once it is gone. */
export function cpuMs(pid: number): number | undefined {
  return impl.cpuMs(pid);
}
