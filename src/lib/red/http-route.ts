/**
 * A GET route on Node-RED's HTTP node server, mounted as the core http-in node mounts
 * its own (21-httpin.js): under httpNodeRoot, behind httpNodeAuth (which Node-RED puts
 * in front of the whole HTTP node server) and after settings.js httpNodeMiddleware, and
 * taken away again when the node closes. One node per path: a second one is refused.
 */
import type { IncomingMessage, ServerResponse } from 'http';

type Handler = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** The parts of an Express application (RED.httpNode) used here; Express 4 and 5. */
interface ExpressLike {
  route(path: string): { get(...handlers: Handler[]): unknown };
  _router?: { stack: Array<{ route?: unknown }> };
  router?: { stack: Array<{ route?: unknown }> };
}

/** What the runtime offers (RED.httpNode, RED.settings). */
export interface HttpRuntimeLike {
  httpNode?: unknown;
  settings: { httpNodeRoot?: unknown; httpNodeMiddleware?: unknown };
}

export class PathInUseError extends Error {
  constructor(readonly path: string) {
    super(`${path} is served by another node`);
  }
}

/** Paths mounted by this pack's nodes in this process, and by whom. */
const mounted = new Map<string, string>();

export interface HttpHost {
  /** False when Node-RED runs without an HTTP node server (httpNodeRoot: false). */
  available: boolean;
  /**
   * Serves GET (and HEAD) `path` with `handler`; returns the function that removes the
   * route. Throws PathInUseError when another node of the pack serves the path.
   */
  get(path: string, owner: string, handler: (req: IncomingMessage, res: ServerResponse) => void): () => void;
}

/** The HTTP node server of a runtime, as the pack's nodes use it. */
export function httpHost(RED: HttpRuntimeLike): HttpHost {
  const app = RED.httpNode as ExpressLike | undefined;
  const available = RED.settings.httpNodeRoot !== false && typeof app?.route === 'function';
  return {
    available,
    get(path, owner, handler) {
      if (!available || !app) throw new Error('the HTTP node server is off (httpNodeRoot: false)');
      const holder = mounted.get(path);
      if (holder !== undefined && holder !== owner) throw new PathInUseError(path);
      const configured = RED.settings.httpNodeMiddleware;
      const middleware: Handler[] = typeof configured === 'function' ? [configured as Handler]
        : Array.isArray(configured) ? configured.filter((m): m is Handler => typeof m === 'function') : [];
      const route = app.route(path);
      route.get(...middleware, (req, res) => handler(req, res));
      mounted.set(path, owner);
      return () => {
        if (mounted.get(path) === owner) mounted.delete(path);
        const stack = (app._router ?? app.router)?.stack;
        if (!stack) return;
        const at = stack.findIndex((layer) => layer.route === route);
        if (at >= 0) stack.splice(at, 1);
      };
    },
  };
}
