#!/usr/bin/env node
'use strict';
// Build: compile src/ into nodes/ with plain tsc, copy the SVG icons beside the
// compiled nodes (Node-RED looks for icons in <dir of the node .js>/icons), and bundle
// the inventory grammar for the editor into resources/snmp-fleet-inventory.js
// (scripts/lib/inventory-bundle.js).
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { bundleInventory } = require('./lib/inventory-bundle');

const root = path.resolve(__dirname, '..');
const tsc = require.resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });

const from = path.join(root, 'icons');
const to = path.join(root, 'nodes', 'icons');
fs.mkdirSync(to, { recursive: true });
for (const f of fs.existsSync(from) ? fs.readdirSync(from) : []) {
  if (f.endsWith('.svg') || f.endsWith('.png')) fs.copyFileSync(path.join(from, f), path.join(to, f));
}

bundleInventory();
