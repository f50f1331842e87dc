/**
 * The editor code users' browsers run, linted as FlowFuse Dashboard 2 lints its nodes:
 * ESLint with eslint-plugin-html over the inline scripts of nodes/*.html and the shared
 * editor script in resources/ (config: eslint.config.js; also `npm run lint:html`).
 */
import { strict as assert } from 'assert';
import * as path from 'path';
import { ROOT } from '../support/node-red-process';

const INSTALL = 'npm install --save-dev eslint@^9 @eslint/js@^9 eslint-plugin-html@^8 globals@^17';

describe('package: lint of the editor html and scripts', function () {
  this.timeout(60000);

  it('eslint with eslint-plugin-html reports nothing in nodes/*.html and resources/*.js', async () => {
    let eslint: { ESLint: new (opts: { cwd: string }) => { lintFiles(p: string[]): Promise<Array<{ filePath: string; messages: Array<{ line: number; column: number; ruleId: string | null; message: string }> }>> } };
    try {
      eslint = require('eslint');
      require.resolve('eslint-plugin-html');
    } catch {
      throw new Error(`the html lint needs its tools; install them with: ${INSTALL}`);
    }
    const results = await new eslint.ESLint({ cwd: ROOT }).lintFiles(['nodes/*.html', 'resources/*.js']);
    assert.ok(results.some((r) => r.filePath.endsWith('snmp-get.html')), 'the node html files were linted');
    const problems = results.flatMap((r) => r.messages.map((m) => `${path.relative(ROOT, r.filePath)}:${m.line}:${m.column} ${m.ruleId ?? ''} ${m.message}`));
    assert.deepEqual(problems, []);
  });
});
