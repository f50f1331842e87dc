/**
 * A loopback UDP relay between a poller and one agent, for outage tests: every datagram
 * passes through `decide`, which may let it pass, drop it, replace it (a mutated answer),
 * or hold it for a while. Seeded decisions (see `seededRandom`) make a lossy network
 * repeatable: the same seed drops the same datagrams of the same sequence.
 *
 *     const relay = await startUdpRelay({ host: '127.0.0.1', port: agent.port }, lossy(0.1, seededRandom(7)));
 *     // poll 127.0.0.1:relay.port instead of the agent
 */
import * as dgram from 'dgram';

export type Direction = 'request' | 'response';

/** What happens to one datagram. */
export type Decision = 'pass' | 'drop' | Buffer | { delayMs: number };

/** `n` counts datagrams of that direction from 0. */
export type Decide = (direction: Direction, datagram: Buffer, n: number) => Decision;

export interface RelayStats {
  requests: number;
  responses: number;
  dropped: number;
  replaced: number;
  delayed: number;
}

export interface UdpRelay {
  /** The port to poll. */
  port: number;
  stats: RelayStats;
  /** Replaces the decision function (e.g. to end an outage). */
  setDecide(decide: Decide): void;
  close(): Promise<void>;
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Drops each datagram, either way, with probability `rate`. */
export function lossy(rate: number, random: () => number): Decide {
  return () => (random() < rate ? 'drop' : 'pass');
}

export const passAll: Decide = () => 'pass';

export function startUdpRelay(agent: { host: string; port: number }, decide: Decide = passAll): Promise<UdpRelay> {
  const front = dgram.createSocket('udp4');
  const back = dgram.createSocket('udp4');
  const timers = new Set<NodeJS.Timeout>();
  let client: { address: string; port: number } | undefined;
  let closed = false;
  const counts = { request: 0, response: 0 };
  const stats: RelayStats = { requests: 0, responses: 0, dropped: 0, replaced: 0, delayed: 0 };

  const forward = (direction: Direction, datagram: Buffer): void => {
    const n = counts[direction]++;
    if (direction === 'request') stats.requests++;
    else stats.responses++;
    const decision = decide(direction, datagram, n);
    const send = (buf: Buffer) => {
      if (closed) return;
      if (direction === 'request') back.send(buf, agent.port, agent.host);
      else if (client) front.send(buf, client.port, client.address);
    };
    if (decision === 'drop') {
      stats.dropped++;
    } else if (decision === 'pass') {
      send(datagram);
    } else if (Buffer.isBuffer(decision)) {
      stats.replaced++;
      send(decision);
    } else {
      stats.delayed++;
      const timer = setTimeout(() => {
        timers.delete(timer);
        send(datagram);
      }, decision.delayMs);
      timers.add(timer);
    }
  };

  front.on('message', (msg, rinfo) => {
    client = { address: rinfo.address, port: rinfo.port };
    forward('request', msg);
  });
  back.on('message', (msg) => forward('response', msg));

  return new Promise((resolve) => {
    back.bind(0, '127.0.0.1', () => {
      front.bind(0, '127.0.0.1', () => {
        resolve({
          port: front.address().port,
          stats,
          setDecide: (d) => { decide = d; },
          close: async () => {
            closed = true;
            for (const t of timers) clearTimeout(t);
            timers.clear();
            await Promise.all([new Promise<void>((r) => front.close(() => r())), new Promise<void>((r) => back.close(() => r()))]);
          },
        });
      });
    });
  });
}
