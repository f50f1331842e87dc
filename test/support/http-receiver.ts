/**
 * A local HTTP server on 127.0.0.1 standing in for Slack's incoming webhooks and
 * PagerDuty's Events API v2 (and serving anything else a test needs, such as an
 * inventory): it records every request with its arrival time and answers as the real
 * service would — Slack "ok" (200, text), PagerDuty 202 JSON — or, once armed, 429 with
 * a Retry-After header, as both services do when rate-limited.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON, else the raw text. */
  body: any;
  text: string;
  /** ms epoch when the request had fully arrived. */
  at: number;
  /** The status this server answered. */
  status: number;
  /** ms epoch when the answer was written. */
  answeredAt: number;
}

export interface Route {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export interface HttpReceiver {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Requests whose path starts with `prefix`. */
  on(prefix: string): ReceivedRequest[];
  /** The next request to a path starting with `prefix` gets 429 with `Retry-After: seconds`. */
  rateLimitOnce(prefix: string, seconds: number): void;
  /** A fixed answer for GET requests to exactly `path` (e.g. an inventory document). */
  serve(path: string, route: Route): void;
  /** Resolves once `count` requests matched `pred`, rejects after `timeoutMs`. */
  waitFor(pred: (r: ReceivedRequest) => boolean, count?: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

/** The answer of the real service for `path`: PagerDuty's enqueue endpoint, else Slack's. */
function serviceAnswer(path: string, body: any): Route {
  if (path.startsWith('/v2/enqueue')) {
    return {
      status: 202,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: body?.dedup_key ?? null }),
    };
  }
  return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' };
}

/** Starts the receiver on a free port of 127.0.0.1. */
export async function startHttpReceiver(): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const limits: Array<{ prefix: string; seconds: number }> = [];
  const routes = new Map<string, Route>();
  const watchers = new Set<() => void>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      const text = Buffer.concat(chunks).toString('utf8');
      let body: any = text;
      try { body = JSON.parse(text); } catch { /* not JSON */ }
      const path = req.url ?? '';
      let answer: Route;
      const limit = limits.findIndex((l) => path.startsWith(l.prefix));
      if (limit >= 0) {
        const { seconds } = limits.splice(limit, 1)[0];
        answer = { status: 429, headers: { 'content-type': 'text/plain', 'retry-after': String(seconds) }, body: 'rate_limited' };
      } else if (req.method === 'GET' && routes.has(path)) {
        answer = routes.get(path)!;
      } else {
        answer = serviceAnswer(path, body);
      }
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body);
      requests.push({ method: req.method ?? '', path, headers: req.headers, body, text, at, status: answer.status, answeredAt: Date.now() });
      for (const w of [...watchers]) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    on: (prefix) => requests.filter((r) => r.path.startsWith(prefix)),
    rateLimitOnce(prefix, seconds) {
      limits.push({ prefix, seconds });
    },
    serve(path, route) {
      routes.set(path, route);
    },
    waitFor(pred, count = 1, timeoutMs = 30000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hits = requests.filter(pred);
          if (hits.length >= count) {
            clearTimeout(timer);
            watchers.delete(check);
            resolve(hits);
          }
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`${requests.filter(pred).length} of ${count} awaited requests after ${timeoutMs} ms; received: ${requests.map((r) => `${r.method} ${r.path.split('?')[0]} ${r.status}`).join(', ') || 'nothing'}`));
        }, timeoutMs);
        watchers.add(check);
        check();
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
