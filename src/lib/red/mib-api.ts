/**
 * Admin HTTP endpoints of the MIB service, for the editor: name completion while the
 * user types an OID and validation of what they typed. Registered once per runtime
 * (the snmp-config node file calls registerMibApi at module scope), read-permission
 * checked like core nodes' endpoints (20-inject.js, 32-udp.js). The answers hold MIB
 * names and OIDs only: no node configuration, never a credential.
 */
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { addUserMibDir, applyMibNameCacheSetting, attachMibLog, MIB_NAME_CACHE_SETTING, mibServiceForAdmin } from './mib-access';

/** The permission both routes need; a Node-RED "read" user has it. */
export const MIB_API_PERMISSION = 'snmp-fleet.read';
/** Most names one completion answer holds. */
export const MAX_COMPLETIONS = 50;
const MAX_QUERY_LENGTH = 200;
const MAX_NAME_LENGTH = 512;

/** Admin apps we already added routes to: registering twice would stack handlers. */
const registered = new WeakSet<object>();

function queryString(value: unknown, max: number): string {
  const v = Array.isArray(value) ? value[0] : value;
  if (typeof v !== 'string') return '';
  return v.length > max ? v.slice(0, max) : v;
}

/**
 * Adds `GET snmp-fleet/mib/complete?q=<text>[&limit=n]` → `{ q, results: MibSearchHit[] }`
 * (at most 50, exact then prefix then substring matches) and
 * `GET snmp-fleet/mib/validate?name=<name>` → `{ valid: true, oid, name, module, object,
 * instance, kind, syntax?, enums? }` or `{ valid: false, error }`. Also adds
 * `<userDir>/mibs` to the MIB search path, applies settings.js `snmpConfigMibNameCacheMb`
 * and gives MIB problems that concern no single node the runtime log. Safe to call more
 * than once.
 */
export function registerMibApi(RED: NodeAPI): void {
  attachMibLog({
    info: (text) => RED.log.info(text),
    warn: (text) => RED.log.warn(text),
    text: (key, vars) => RED._(key, vars),
  });
  const admin = RED.httpAdmin as unknown as object | undefined;
  if (!admin || registered.has(admin)) return;
  registered.add(admin);

  const mib = mibServiceForAdmin();
  const settings = RED.settings as unknown as Record<string, unknown>;
  addUserMibDir(settings.userDir);
  const cacheWarning = applyMibNameCacheSetting(settings[MIB_NAME_CACHE_SETTING]);
  if (cacheWarning) RED.log.warn(cacheWarning);

  const canRead = RED.auth.needsPermission(MIB_API_PERMISSION);

  RED.httpAdmin.get('/snmp-fleet/mib/complete', canRead, (req: Request, res: Response) => {
    try {
      const q = queryString(req.query.q, MAX_QUERY_LENGTH);
      const asked = Number(queryString(req.query.limit, 4));
      const limit = Number.isInteger(asked) && asked > 0 ? Math.min(asked, MAX_COMPLETIONS) : MAX_COMPLETIONS;
      res.json({ q, results: mib.search(q, limit) });
    } catch (err) {
      RED.log.warn(`snmp-fleet MIB completion failed: ${(err as Error).message}`);
      res.status(500).json({ error: 'MIB search failed' });
    }
  });

  RED.httpAdmin.get('/snmp-fleet/mib/validate', canRead, (req: Request, res: Response) => {
    const input = queryString(req.query.name, MAX_NAME_LENGTH).trim();
    if (input === '') {
      res.status(400).json({ valid: false, error: 'name is required' });
      return;
    }
    let oid: string;
    try {
      oid = mib.resolve(input);
    } catch (err) {
      res.json({ valid: false, input, error: (err as Error).message });
      return;
    }
    try {
      const info = mib.describe(oid);
      if (!info) {
        res.json({ valid: true, input, oid, name: oid });
        return;
      }
      res.json({
        valid: true, input, oid, name: mib.qualifiedName(oid), module: info.module, object: info.name,
        instance: info.instance, kind: info.kind, syntax: info.syntax, enums: info.enums,
      });
    } catch (err) {
      RED.log.warn(`snmp-fleet MIB validation failed: ${(err as Error).message}`);
      res.status(500).json({ valid: false, error: 'MIB lookup failed' });
    }
  });
}
