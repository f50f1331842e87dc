/**
 * The Redis context store, as settings.js loads it:
 * `module: require('@snmp-fleet/node-red-snmp-fleet/nodes/context/redis')`.
 * Node-RED calls the module with the store's `config` and uses what it returns.
 */
import { RedisContextStore, type RedisContextConfig } from '../lib/red/context-redis';

function redisContextStore(config: RedisContextConfig) {
  return new RedisContextStore(config);
}
// Node-RED names a store module in its start-up log by its own toString(), else "custom"
redisContextStore.toString = () => '@snmp-fleet/node-red-snmp-fleet redis';

export = redisContextStore;
