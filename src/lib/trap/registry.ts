/**
 * One listener per address and port for the whole runtime. Nodes join and leave; the
 * first one opens the socket and the last one to leave closes it at once, so a
 * redeploy frees the port immediately (udp-in's port map closes for everyone, and
 * Node-RED's close order is then all that keeps the port free).
 *
 * A node whose listener settings differ from those the port was opened with does not
 * join: it gets the list of conflicting settings to show.
 */
import * as net from 'net';
import { DEFAULT_MAX_VARBINDS, TrapListener, type ListenerOptions, type ListenerSettings, type TrapSubscriber } from './listener';
import { RemoteClocks, ReplayCache } from './usm';

interface Entry {
  key: string;
  listener: TrapListener;
}

const entries = new Map<string, Entry>();

/**
 * What the process's listeners learn of remote engines: their clocks and the digests of
 * recent messages. Outliving each listener, they keep a redeploy (which replaces the
 * listener) from making a captured trap timely again.
 */
const sharedClocks = new RemoteClocks();
const sharedReplays = new ReplayCache();

/** '' and '0.0.0.0' are one address; IPv6 spelled in any form is one address. */
export function listenerKey(address: string, port: number): string {
  let a = address.trim() || '0.0.0.0';
  if (net.isIPv6(a)) {
    // canonical form through the URL parser ("0:0::1" → "::1")
    try { a = new URL(`http://[${a}]/`).hostname.slice(1, -1); } catch { a = a.toLowerCase(); }
  }
  return `${a}|${port}`;
}

/** The names of the settings in which `b` differs from `a` (the port's). */
export function conflictingSettings(a: ListenerSettings, b: ListenerSettings): string[] {
  const out: string[] = [];
  if (a.rcvbuf !== b.rcvbuf) out.push('rcvbuf');
  if (a.allow.key !== b.allow.key) out.push('allow');
  if (a.rateLimit !== b.rateLimit) out.push('rateLimit');
  if ((a.burst ?? a.rateLimit) !== (b.burst ?? b.rateLimit)) out.push('burst');
  if ((a.maxVarbinds ?? DEFAULT_MAX_VARBINDS) !== (b.maxVarbinds ?? DEFAULT_MAX_VARBINDS)) out.push('maxVarbinds');
  return out;
}

export type JoinResult =
  | { ok: true; listener: TrapListener; leave: () => Promise<void> }
  | { ok: false; conflict: string[] };

/**
 * Joins (or opens) the listener of `settings.address`:`settings.port`. The options
 * (our engine ID, MIB provider) of the node that opens it are the listener's.
 * Throws when the subscriber's credentials are unusable.
 */
export function joinListener(settings: ListenerSettings, sub: TrapSubscriber, options: ListenerOptions): JoinResult {
  const key = listenerKey(settings.address, settings.port);
  let entry = entries.get(key);
  if (entry) {
    const conflict = conflictingSettings(entry.listener.settings, settings);
    if (conflict.length > 0) return { ok: false, conflict };
  }
  let opened = false;
  if (!entry) {
    entry = { key, listener: new TrapListener(settings, { clocks: sharedClocks, replays: sharedReplays, ...options }) };
    entries.set(key, entry);
    opened = true;
  }
  const { listener } = entry;
  try {
    listener.subscribe(sub);
  } catch (err) {
    if (opened) entries.delete(key);
    throw err;
  }
  if (opened) listener.start();
  let left = false;
  const leave = async () => {
    if (left) return;
    left = true;
    if (listener.unsubscribe(sub) > 0) return;
    if (entries.get(key)?.listener === listener) entries.delete(key);
    await listener.close();
  };
  return { ok: true, listener, leave };
}

/** Listeners open now (for tests: a redeploy must leave none behind). */
export function openListenerCount(): number {
  return entries.size;
}

/** The listener of an address and port, if one is open. */
export function findListener(address: string, port: number): TrapListener | undefined {
  return entries.get(listenerKey(address, port))?.listener;
}
