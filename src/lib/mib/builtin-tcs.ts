/**
 * Textual conventions the service knows without their module. Debian ships the
 * NET-SNMP/UCD MIBs but not the IETF modules they import (HCNUM-TC, SNMP-FRAMEWORK-MIB,
 * INET-ADDRESS-MIB), so without these an SnmpAdminString would render as hex. They are
 * used only when no loaded module defines the name; the missing import is still warned.
 */
import type { TypeSpec } from './smi-parser';

export interface BuiltinTc {
  syntax: TypeSpec;
  hint?: string;
}

export const INET_ADDRESS_TYPES: Array<[number, string]> = [
  [0, 'unknown'], [1, 'ipv4'], [2, 'ipv6'], [3, 'ipv4z'], [4, 'ipv6z'], [16, 'dns'],
];

export const BUILTIN_TCS: Record<string, BuiltinTc> = {
  // SNMP-FRAMEWORK-MIB (RFC 3411)
  SnmpAdminString: { syntax: { name: 'OCTET STRING', sizes: [[0, 255]] }, hint: '255t' },
  SnmpEngineID: { syntax: { name: 'OCTET STRING', sizes: [[5, 32]] } },
  SnmpSecurityModel: { syntax: { name: 'INTEGER', ranges: [[0, 2147483647]] } },
  SnmpMessageProcessingModel: { syntax: { name: 'INTEGER', ranges: [[0, 2147483647]] } },
  SnmpSecurityLevel: { syntax: { name: 'INTEGER', enums: [[1, 'noAuthNoPriv'], [2, 'authNoPriv'], [3, 'authPriv']] } },
  // INET-ADDRESS-MIB (RFC 4001)
  InetAddressType: { syntax: { name: 'INTEGER', enums: INET_ADDRESS_TYPES } },
  InetAddress: { syntax: { name: 'OCTET STRING', sizes: [[0, 255]] } },
  InetAddressIPv4: { syntax: { name: 'OCTET STRING', sizes: [[4, 4]] }, hint: '1d.1d.1d.1d' },
  InetAddressIPv6: { syntax: { name: 'OCTET STRING', sizes: [[16, 16]] }, hint: '2x:2x:2x:2x:2x:2x:2x:2x' },
  InetAddressIPv4z: { syntax: { name: 'OCTET STRING', sizes: [[8, 8]] }, hint: '1d.1d.1d.1d%4d' },
  InetAddressIPv6z: { syntax: { name: 'OCTET STRING', sizes: [[20, 20]] }, hint: '2x:2x:2x:2x:2x:2x:2x:2x%4d' },
  InetAddressDNS: { syntax: { name: 'OCTET STRING', sizes: [[1, 255]] }, hint: '255a' },
  InetAddressPrefixLength: { syntax: { name: 'Unsigned32', ranges: [[0, 2040]] }, hint: 'd' },
  InetPortNumber: { syntax: { name: 'Unsigned32', ranges: [[0, 65535]] }, hint: 'd' },
  InetVersion: { syntax: { name: 'INTEGER', enums: [[0, 'unknown'], [1, 'ipv4'], [2, 'ipv6']] } },
  // HCNUM-TC (RFC 2856)
  CounterBasedGauge64: { syntax: { name: 'Counter64' } },
  ZeroBasedCounter64: { syntax: { name: 'Counter64' } },
  // RMON2-MIB / HCNUM-TC 32-bit variant used by many vendor MIBs
  ZeroBasedCounter32: { syntax: { name: 'Counter32' } },
};
