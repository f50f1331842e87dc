/**
 * The private MariaDB the tests and the demo start (scripts/lib/mariadb.js): a free port
 * is only free until someone binds it, and with tests running side by side someone may,
 * between the choice and mariadbd's bind. The server must then come up on another port.
 */
import { strict as assert } from 'assert';
import * as net from 'net';
import * as path from 'path';
import { startMariadb, type Mariadb } from '../support/mariadb';

describe('private MariaDB for tests and the demo', function () {
  this.timeout(120000);

  it('starts on another free port when the one it chose was taken before mariadbd bound it', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const taken = (holder.address() as net.AddressInfo).port;
    let db: Mariadb | undefined;
    try {
      const gone: number[] = [];
      db = await startMariadb({ database: 'port_race', firstPort: taken, onGone: (pid) => gone.push(pid) });
      assert.notEqual(db.port, taken);
      assert.equal(gone.length, 1, 'one try gave up');
      assert.notEqual(gone[0], db.pid);
      assert.match(db.output(), /Address already in use/, 'the first try met the taken port');
      assert.equal((await db.sql('SELECT 1')).trim(), '1');
      // temporary tables stay in its own folder: a shared /tmp is swept by others
      assert.equal((await db.sql('SELECT @@tmpdir')).trim(), path.join(db.dir, 'tmp'));
      // the server listens on the port it reports
      await new Promise<void>((resolve, reject) => {
        const c = net.connect(db!.port, '127.0.0.1', () => { c.end(); resolve(); });
        c.once('error', reject);
      });
    } finally {
      await db?.stop();
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });
});
