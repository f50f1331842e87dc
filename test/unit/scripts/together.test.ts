import { strict as assert } from 'assert';
import { startTogether } from '../../support/together';

/** The tests' way of starting servers side by side (test/support/together.ts). */
describe('starting test servers together', () => {
  it('gives the started servers in order', async () => {
    const [a, b] = await startTogether([Promise.resolve('a'), Promise.resolve({ port: 2 })]);
    assert.equal(a, 'a');
    assert.deepEqual(b, { port: 2 });
  });

  it('stops the servers that started when another fails, then throws that failure', async () => {
    const stopped: string[] = [];
    const slow = new Promise<{ stop(): void }>((resolve) => setTimeout(() => resolve({ stop: () => { stopped.push('influxd'); } }), 20));
    const closing = Promise.resolve({ close: async () => { stopped.push('receiver'); } });
    const failing = Promise.reject(new Error('mariadbd exited'));
    await assert.rejects(startTogether([slow, failing, closing, Promise.resolve('packed')]), /mariadbd exited/);
    assert.deepEqual(stopped.sort(), ['influxd', 'receiver']);
  });

  it('still throws the start\'s failure when a stop fails too', async () => {
    const broken = Promise.resolve({ stop: () => { throw new Error('stop failed'); } });
    await assert.rejects(startTogether([broken, Promise.reject(new Error('port taken'))]), /port taken/);
  });
});
