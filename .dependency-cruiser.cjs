/**
 * The import rules of the layout (docs/architecture.md), checked by `npm test`
 * (test/unit/architecture.test.ts) and by `npm run lint:deps`:
 *
 *   src/<type>.ts  →  src/lib/red (the Node-RED adapter)  →  the engine (src/lib/<feature>)
 *
 * - only src/lib/red may know Node-RED; nothing in the engine imports the adapter;
 * - a feature folder imports common/ and snmp/, never another feature;
 * - common/ imports nothing of ours but itself; snmp/ only common/;
 * - the simulator stays beside the pack: it may use the engine, never the adapter.
 */
const FEATURE = '^src/lib/(?!common/|snmp/|red/)([^/]+)/';

module.exports = {
  forbidden: [
    {
      name: 'node-red-only-in-adapter',
      comment: 'Only src/lib/red (and the node entry files) may import node-red.',
      severity: 'error',
      from: { path: '^src/lib/(?!red/)' },
      to: { path: '(^|/)node_modules/(node-red|@node-red/[^/]+)/|^(node-red|@node-red/.+)$' },
    },
    {
      name: 'engine-not-to-adapter',
      comment: 'The engine never imports the Node-RED adapter: the adapter calls the engine.',
      severity: 'error',
      from: { path: '^src/lib/(?!red/)' },
      to: { path: '^src/lib/red/' },
    },
    {
      name: 'lib-not-to-entries',
      comment: 'Node entry files are the top: nothing imports them.',
      severity: 'error',
      from: { path: '^src/(lib|sim|bin)/' },
      to: { path: '^src/[^/]+\\.ts$' },
    },
    {
      name: 'features-apart',
      comment: 'A feature folder imports common/ and snmp/, never another feature.',
      severity: 'error',
      from: { path: FEATURE },
      to: { path: '^src/lib/(?!common/|snmp/)[^/]+/', pathNot: '^src/lib/$1/' },
    },
    {
      name: 'common-is-common',
      comment: 'common/ is the base: it imports nothing of ours outside itself.',
      severity: 'error',
      from: { path: '^src/lib/common/' },
      to: { path: '^src/', pathNot: '^src/lib/common/' },
    },
    {
      name: 'snmp-on-common',
      comment: 'snmp/ (profiles, sessions, transport) builds on common/ only.',
      severity: 'error',
      from: { path: '^src/lib/snmp/' },
      to: { path: '^src/', pathNot: '^src/lib/(common|snmp)/' },
    },
    {
      name: 'sim-not-to-adapter',
      comment: 'The simulator may use the engine, never the Node-RED adapter.',
      severity: 'error',
      from: { path: '^src/sim/' },
      to: { path: '^src/lib/red/' },
    },
    {
      name: 'no-circular',
      comment: 'Import cycles hide the layering.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/types/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['cjs', 'es6'],
  },
};
