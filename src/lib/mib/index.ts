/**
 * The MIB service of the runtime: one instance per process, shared by every node,
 * loaded lazily on the first lookup (never at import).
 *
 *     const mib = getMibService();
 *     mib.addMibDirs(config.mibDirs);            // snmp-config folders, <userDir>/mibs
 *     const off = mib.onWarning((text) => node.warn(text));
 *     mib.resolve('IF-MIB::ifHCInOctets.3');      // '1.3.6.1.2.1.31.1.1.1.6.3'
 *     mib.describe('1.3.6.1.2.1.2.2.1.8.3');      // { module: 'IF-MIB', name: 'ifOperStatus', instance: '3', enums: {1: 'up', ...} }
 */
import { MibService } from './service';

export { MibService } from './service';
export type { MibServiceOptions, MibNode } from './service';
export { groupProblems, missesImports, systemMibDirs, type ProblemGroups } from './problem-report';
export { shownFile, shownName } from './warnings';
export type { MibObjectInfo, MibProblem, MibSearchHit, MibNodeKind, MibModuleSummary, SmiBase } from './types';
export {
  applyOctetHint, formatDateAndTime, formatInetAddress, formatIpv6, formatIntegerByHint, formatHex, isPrintable,
} from './format';

let shared: MibService | undefined;

/**
 * The per-process MIB service. Creating it reads nothing; the MIBs load on the first
 * describe/resolve/search (or an explicit `load()`), and again after `addMibDirs` adds
 * a folder.
 */
export function getMibService(): MibService {
  if (!shared) shared = new MibService();
  return shared;
}
