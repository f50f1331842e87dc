'use strict';
/**
 * The simulated fleet, in its own process (its CPU must not count as ours), through the
 * simulator's command line: `node nodes/sim/cli.js --devices N --inventory FILE`.
 */
const fs = require('fs');
const path = require('path');
const { spawnTracked, waitForEvent, stop, tempDir, removeTempDir, pinnedCommand } = require('./procs');

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Starts the fleet (on CPU `cpu` only when given and taskset exists); resolves with
 * { child, ready, devices: [{host, port, name}], inventoryText, close }.
 */
async function startSim({ devices, interfaces = 48, cpu }) {
  const dir = tempDir('snmp-fleet-bench-sim-');
  const inventory = path.join(dir, 'inventory.txt');
  const child = spawnTracked(...pinnedCommand(cpu, process.execPath, [
    path.join(ROOT, 'nodes', 'sim', 'cli.js'),
    '--devices', String(devices), '--interfaces', String(interfaces), '--host', '127.0.0.1',
    '--inventory', inventory,
  ]));
  let ready;
  try {
    ready = await waitForEvent(child, 'ready', 120000);
  } catch (err) {
    await stop(child);
    removeTempDir(dir);
    throw err;
  }
  const lines = fs.readFileSync(inventory, 'utf8').split('\n').filter(Boolean);
  const list = lines.map((line) => {
    const [addr, name] = line.split(/\s+/);
    const colon = addr.lastIndexOf(':');
    return { host: addr.slice(0, colon), port: Number(addr.slice(colon + 1)), name, line };
  });
  return {
    child,
    ready,
    devices: list,
    /** The inventory text of the first `n` devices. */
    inventory: (n) => list.slice(0, n).map((d) => d.line).join('\n'),
    async close() {
      await stop(child);
      removeTempDir(dir);
    },
  };
}

module.exports = { startSim };
