/**
 * A GET route on Node-RED's HTTP node server, mounted as the core http-in node mounts
 * its own (21-httpin.js): under httpNodeRoot, behind httpNodeAuth (which Node-RED puts
 * in front of the whole HTTP node server) and after settings.js httpNodeMiddleware, and
 * taken away again when the node closes. One node per path: a second one is refused.
 */
import type { IncomingMessage, ServerResponse } from 'http';

type Handler = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

interface LayerLike {
  route?: unknown;
  match?(path: string): boolean;
}

/** The parts of an Express application (RED.httpNode, RED.httpAdmin) used here; Express 4 and 5. */
interface ExpressLike {
  route(path: string): { get(...handlers: Handler[]): unknown };
  _router?: { stack: LayerLike[] };
  router?: { stack: LayerLike[] };
}

/** What the runtime offers (RED.httpNode, RED.httpAdmin, RED.settings). */
export interface HttpRuntimeLike {
  httpNode?: unknown;
  httpAdmin?: unknown;
  settings: { httpNodeRoot?: unknown; httpAdminRoot?: unknown; httpNodeMiddleware?: unknown };
}

export class PathInUseError extends Error {
  /** `admin`: Node-RED's admin API answers the path first (both served at one root). */
  constructor(readonly path: string, readonly by: 'node' | 'admin' = 'node') {
    super(by === 'admin' ? `${path} is served by Node-RED's admin API` : `${path} is served by another node`);
  }
}

/** A root setting as a prefix without its trailing slash ('' for '/'); undefined when off. */
function rootOf(value: unknown): string | undefined {
  if (value === false) return undefined;
  const text = typeof value === 'string' && value !== '' ? value : '/';
  return `/${text.replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, '');
}

/**
 * The first path segments the editor and Node-RED's admin API answer (its documented
 * methods, the editor's files, and the core nodes' admin routes). RED.httpAdmin, which
 * nodes see, holds only the routes nodes add: the editor API is another application.
 */
const ADMIN_SEGMENTS = new Set(['', 'auth', 'settings', 'diagnostics', 'flows', 'flow', 'nodes', 'plugins', 'context',
  'library', 'icons', 'locales', 'red', 'vendor', 'theme', 'credentials', 'debug', 'inject', 'editor', 'types']);

/**
 * True when Node-RED's editor or admin API answers GET `path` of the HTTP node server
 * before it gets there: both are served at one root (the default, '/'), and the path is
 * one of theirs (/flows, /settings ...) or one a node added to RED.httpAdmin; Node-RED
 * mounts the admin application first.
 */
function adminServes(RED: HttpRuntimeLike, path: string): boolean {
  const nodeRoot = rootOf(RED.settings.httpNodeRoot);
  const adminRoot = rootOf(RED.settings.httpAdminRoot);
  if (nodeRoot === undefined || adminRoot === undefined || nodeRoot !== adminRoot) return false;
  if (ADMIN_SEGMENTS.has(path.split('/')[1] ?? '')) return true;
  const admin = RED.httpAdmin as ExpressLike | undefined;
  const stack = (admin?._router ?? admin?.router)?.stack ?? [];
  return stack.some((layer) => layer.route !== undefined && typeof layer.match === 'function' && layer.match(path));
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
      if (adminServes(RED, path)) throw new PathInUseError(path, 'admin');
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
