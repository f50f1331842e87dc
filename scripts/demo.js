#!/usr/bin/env node
'use strict';
// `npm start`: a local Node-RED (userDir .demo/, bound to 127.0.0.1) with this pack
// installed into it as a palette module (a symlink, as `npm link` would make).
// Stops everything on Ctrl-C.
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const userDir = process.env.SNMP_FLEET_DEMO_DIR || path.join(root, '.demo');
const port = Number(process.env.PORT || 1880);
const pkg = require(path.join(root, 'package.json'));

function installPack() {
  const scopeDir = path.join(userDir, 'node_modules', '@snmp-fleet');
  fs.mkdirSync(scopeDir, { recursive: true });
  const link = path.join(scopeDir, 'node-red-snmp-fleet');
  try { fs.rmSync(link, { recursive: true, force: true }); } catch { /* not there */ }
  fs.symlinkSync(root, link, 'dir');
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({
    name: 'snmp-fleet-demo', private: true, dependencies: { [pkg.name]: `file:${root}` },
  }, null, 2));
}

function writeSettings() {
  const file = path.join(userDir, 'settings.js');
  fs.writeFileSync(file, `module.exports = {
  uiHost: '127.0.0.1',
  uiPort: ${port},
  flowFile: 'flows.json',
  credentialSecret: process.env.NODE_RED_CREDENTIAL_SECRET || 'snmp-fleet-demo-only',
  logging: { console: { level: 'info', metrics: false, audit: false } },
  editorTheme: { tours: false, projects: { enabled: false } },
};
`);
  return file;
}

fs.mkdirSync(userDir, { recursive: true });
installPack();
const settings = writeSettings();
const flowFile = path.join(userDir, 'flows.json');
if (!fs.existsSync(flowFile)) fs.writeFileSync(flowFile, '[]');

const red = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', settings], { stdio: 'inherit' });
console.log(`snmp-fleet demo: Node-RED editor at http://127.0.0.1:${port}/ (userDir ${userDir}); Ctrl-C stops it`);
const stop = () => { red.kill('SIGINT'); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
red.on('exit', (code) => process.exit(code ?? 0));
