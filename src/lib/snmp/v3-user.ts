/**
 * The one mapping of our flat SNMPv3 user (the snmp-config properties and
 * credentials) to net-snmp's user object, used by the poller's sessions and by the
 * simulator's agents and trap senders alike.
 */
import * as snmp from 'net-snmp';
import type { V3User } from '../common/types';

const LEVELS: Record<string, number> = {
  noAuthNoPriv: snmp.SecurityLevel.noAuthNoPriv,
  authNoPriv: snmp.SecurityLevel.authNoPriv,
  authPriv: snmp.SecurityLevel.authPriv,
};

/** Our flat V3User to net-snmp's user object. */
export function toNetSnmpUser(user: V3User): Record<string, unknown> {
  const u: Record<string, unknown> = { name: user.name, level: LEVELS[user.level] };
  if (user.level !== 'noAuthNoPriv') {
    u.authProtocol = snmp.AuthProtocols[user.authProtocol ?? 'sha'];
    u.authKey = user.authKey;
  }
  if (user.level === 'authPriv') {
    u.privProtocol = snmp.PrivProtocols[user.privProtocol ?? 'aes'];
    u.privKey = user.privKey;
  }
  return u;
}
