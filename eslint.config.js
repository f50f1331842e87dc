'use strict';
// Lint for the editor side, as FlowFuse Dashboard 2 lints its .html: the inline
// <script type="text/javascript"> blocks of nodes/*.html (read by eslint-plugin-html;
// the text/html templates and help are not JavaScript and are left alone) and the
// shared editor script in resources/. This code runs in the browser inside the
// Node-RED editor, with RED and jQuery as globals. TypeScript under src/ is checked by tsc.
const js = require('@eslint/js');
const html = require('eslint-plugin-html');
const globals = require('globals');

module.exports = [
  {
    // resources/snmp-fleet-inventory.js is esbuild's bundle of src/lib/common/inventory.ts
    ignores: ['node_modules/**', 'nodes/**/*.js', 'resources/snmp-fleet-inventory.js', 'test-artifacts/**', '.demo/**', '.test-tmp/**'],
  },
  {
    files: ['nodes/**/*.html', 'resources/**/*.js'],
    plugins: { html },
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: 'script',
      globals: {
        ...globals.browser,
        RED: 'readonly',
        $: 'readonly',
        jQuery: 'readonly',
      },
    },
    rules: {
      ...js.configs.recommended.rules,
      // Node-RED shows a validator's message only for (value, opts) validators
      'no-unused-vars': ['error', { args: 'none' }],
      eqeqeq: ['error', 'always'],
      'no-implicit-globals': 'error',
      'no-alert': 'error',
      'no-console': 'error',
      curly: ['error', 'all'],
    },
  },
];
