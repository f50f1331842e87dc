/**
 * The polling engine of one snmp-config node: its session pool and its fleet
 * scheduler, shared by every snmp-get and snmp-bulkwalk node that uses the profile,
 * created on first use and closed with the config node.
 */
import type { SnmpProfile } from '../common/types';
import { SessionPool } from '../snmp/session-pool';
import { FleetScheduler } from './scheduler';

/** Pool and scheduler of one snmp-config: shared by every node that uses it. */
export class FleetEngine {
  readonly pool: SessionPool;
  readonly scheduler: FleetScheduler;

  constructor(readonly profile: SnmpProfile) {
    this.pool = new SessionPool(profile);
    this.scheduler = new FleetScheduler(profile.concurrency);
  }

  close(): void {
    this.scheduler.close();
    this.pool.close();
  }
}
