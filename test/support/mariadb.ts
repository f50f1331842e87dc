/**
 * A private Debian MariaDB for integration tests: its own data folder in a temp dir,
 * mariadbd on a free 127.0.0.1 port and a private socket, no option file, never the
 * system service; a database and a user with a password for node-red-node-mysql. The
 * implementation is shared with the scripts (scripts/lib/mariadb.js); this module gives
 * it types.
 */
const impl = require('../../scripts/lib/mariadb.js');

export interface Mariadb {
  readonly host: string;
  readonly port: number;
  /** The private socket root's SQL goes through. */
  readonly socket: string;
  readonly dir: string;
  readonly pid: number;
  /** Created at start, with `user` allowed everything on it. */
  readonly database: string;
  readonly user: string;
  readonly password: string;
  /** mariadbd's output and error log (tail). */
  output(): string;
  /** Runs SQL as root (several statements allowed); the answer as tab-separated rows. */
  sql(text: string, database?: string): Promise<string>;
  /** Ends the server and removes its folder; idempotent. */
  stop(): Promise<void>;
}

export interface MariadbOptions {
  database?: string;
  user?: string;
  password?: string;
  startTimeoutMs?: number;
  /** Tried first instead of a free port (to test what happens when it is taken). */
  firstPort?: number;
  /** Told of a mariadbd that gave up because its port was taken (another is started). */
  onGone?: (pid: number) => void;
}

/** Starts mariadbd; rejects with the Debian package to install when it is missing. */
export function startMariadb(options: MariadbOptions = {}): Promise<Mariadb> {
  return impl.startMariadb(options);
}

/** A SQL string literal. */
export function sqlString(text: string): string {
  return impl.sqlString(text);
}
