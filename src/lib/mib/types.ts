/**
 * Types of the MIB service beyond the shared OidInfo/MibLookup contract of
 * src/lib/common/types.ts.
 */
import type { OidInfo } from '../common/types';

/** What a MIB node is, as far as a poller cares. */
export type MibNodeKind = 'table' | 'row' | 'column' | 'scalar' | 'notification' | 'node';

/**
 * Base SMI type of an object after following its textual conventions:
 * 'INTEGER' | 'OCTET STRING' | 'OBJECT IDENTIFIER' | 'BITS' | 'Integer32' | 'Unsigned32' |
 * 'Counter32' | 'Counter64' | 'Gauge32' | 'TimeTicks' | 'IpAddress' | 'Opaque' |
 * SMIv1 'Counter' | 'Gauge' | 'NetworkAddress', or the unresolved type name when its
 * module is missing.
 */
export type SmiBase = string;

/**
 * The result of `describe()`: OidInfo plus what the service knows about the object.
 * Returned objects are frozen and shared between calls: never modify them.
 */
export interface MibObjectInfo extends OidInfo {
  kind: MibNodeKind;
  /** Base SMI type (see SmiBase); absent for nodes without SYNTAX. */
  base?: SmiBase;
  /** MAX-ACCESS (or SMIv1 ACCESS). */
  access?: string;
  units?: string;
  /**
   * For InetAddress columns: the numeric OID of the InetAddressType column of the same
   * row, whose value says how to read the address (RFC 4001).
   */
  addressTypeColumn?: string;
}

/** One problem file: exactly one of these per file, all its issues folded in. */
export interface MibProblem {
  /** Absolute path of the file (or of a configured folder that does not exist). */
  file: string;
  /** Line of the first issue when known. */
  line?: number;
  /** Module(s) the file declares, when it got that far. */
  modules: string[];
  /** Modules it imports that are not loaded. */
  missingModules: string[];
  /** Every issue, each with its line when known; an import of modules that are not loaded names them. */
  issues: Array<{ line?: number; message: string; missingModules?: string[] }>;
  /** The one-line warning text (names the file, first line, missing modules). */
  message: string;
}

/** An entry of `search()` / `complete()`. */
export interface MibSearchHit {
  /** Module-qualified name, e.g. "IF-MIB::ifDescr". */
  qualified: string;
  module: string;
  name: string;
  oid: string;
  kind: MibNodeKind;
  syntax?: string;
}

/** A loaded module and where it came from. */
export interface MibModuleSummary {
  name: string;
  file: string;
  /** OID-bearing definitions (objects, nodes, notifications, groups...). */
  objects: number;
  /** Type assignments and textual conventions. */
  types: number;
}
