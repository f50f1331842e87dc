/**
 * The pack's GET routes on Node-RED's HTTP node server (red/http-route.ts), on real
 * Express applications as Node-RED builds them: one node per path, and a path Node-RED's
 * admin API answers first (both served at one root) refused with why.
 */
import { strict as assert } from 'assert';
import { httpHost, PathInUseError } from '../../../src/lib/red/http-route';

// Node-RED's own Express
const express = require('express');

function runtime(settings: Record<string, unknown>) {
  // RED.httpAdmin as nodes see it: the routes nodes add (the editor API is another app)
  const httpAdmin = express();
  httpAdmin.get('/snmp-fleet/mib/search', (_req: unknown, res: any) => res.json([]));
  return { httpNode: express(), httpAdmin, settings };
}

describe('http routes of the pack', () => {
  it('refuses a path the admin API answers when both are served at one root, and says so', () => {
    const host = httpHost(runtime({}));
    for (const path of ['/flows', '/settings', '/nodes/snmp-fleet', '/', '/snmp-fleet/mib/search']) {
      assert.throws(() => host.get(path, 'm1', () => undefined), (err: unknown) => err instanceof PathInUseError && err.by === 'admin' && /admin API/.test((err as Error).message), path);
    }
    const off = host.get('/metrics', 'm1', () => undefined);
    off();
  });

  it('serves such a path when the admin API has a root of its own, or is off', () => {
    for (const settings of [{ httpAdminRoot: '/admin' }, { httpAdminRoot: '/admin/', httpNodeRoot: '/' }, { httpAdminRoot: false }, { httpAdminRoot: '/', httpNodeRoot: '/api' }]) {
      const host = httpHost(runtime(settings));
      const off = host.get('/flows', 'm1', () => undefined);
      off();
    }
    // the same root written two ways is one root
    assert.throws(() => httpHost(runtime({ httpAdminRoot: '/red/', httpNodeRoot: '/red' })).get('/flows', 'm1', () => undefined), PathInUseError);
  });

  it('lets one node serve a path and refuses a second', () => {
    const host = httpHost(runtime({}));
    const off = host.get('/metrics', 'a', () => undefined);
    assert.throws(() => host.get('/metrics', 'b', () => undefined), (err: unknown) => err instanceof PathInUseError && err.by === 'node');
    off();
    host.get('/metrics', 'b', () => undefined)();
  });
});
