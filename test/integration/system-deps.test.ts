/**
 * scripts/system-deps as root on a monitoring host whose snmpd runs: it must install what
 * is missing without starting, stopping, restarting or enabling any service.
 *
 * The test never touches the machine's services or packages. The script runs with a PATH
 * of fakes: `id` says root, `apt-get` plays dpkg's part (it asks policy-rc.d, as
 * invoke-rc.d and deb-systemd-invoke do, before it would start each new service or restart
 * the upgraded snmpd, and it adds the boot links maintainer scripts add), and
 * `systemctl`, `service`, `invoke-rc.d`, `deb-systemd-helper`, `update-rc.d`, `pkill` and
 * `killall` only write down what they were asked. SYSTEM_DEPS_ROOT moves policy-rc.d and
 * the boot links into a temporary folder. A real private snmpd (test/support/snmpd.ts)
 * stands for the host's running one: it must still answer afterwards, which also catches
 * a kill by name or pid that no fake sees.
 */
import { strict as assert } from 'assert';
import { execFile, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startSnmpd, type Snmpd } from '../support/snmpd';

const SCRIPT = path.resolve(__dirname, '..', '..', 'scripts', 'system-deps');
/** Real tools the script may use besides the fakes. */
const REAL_TOOLS = ['sort', 'tr', 'dirname', 'mkdir', 'mv', 'rm', 'chmod', 'find', 'comm', 'cut', 'cat', 'ln'];
/** Every package the script knows, with the services their maintainer scripts would start. */
const SERVICES: Record<string, string[]> = {
  snmpd: ['snmpd'], snmp: [], snmptrapd: ['snmptrapd'], influxdb: ['influxdb'], mosquitto: ['mosquitto'],
  'redis-server': ['redis-server'], prometheus: ['prometheus'], 'mariadb-server': ['mariadb'], chromium: [],
};
const RECORDERS = ['systemctl', 'service', 'invoke-rc.d', 'deb-systemd-invoke', 'deb-systemd-helper', 'update-rc.d', 'pkill', 'killall'];

interface Sandbox {
  dir: string;
  root: string;
  bin: string;
  log: string;
}

function sandbox(opts: { uid?: number; aptFails?: boolean } = {}): Sandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'system-deps-test-'));
  const root = path.join(dir, 'root');
  const bin = path.join(dir, 'bin');
  const log = path.join(dir, 'calls.log');
  for (const d of ['usr/sbin', 'sbin', 'etc/systemd/system/multi-user.target.wants', 'etc/rc2.d']) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.mkdirSync(bin);
  for (const tool of REAL_TOOLS) {
    const real = ['/usr/bin', '/bin'].map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
    assert.ok(real, `${tool} is on this machine`);
    fs.symlinkSync(real!, path.join(bin, tool));
  }
  const fake = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
  fake('id', `[ "$1" = "-u" ] && echo ${opts.uid ?? 0} || echo "uid=${opts.uid ?? 0}"`);
  for (const name of RECORDERS) {
    fake(name, `echo "${name} $*" >> "${log}"
if [ "${name}" = deb-systemd-helper ] && [ "$1" = disable ]; then /bin/rm -f "${root}"/etc/systemd/system/*.wants/"$2"; fi
if [ "${name}" = update-rc.d ] && [ "$2" = disable ]; then for l in "${root}"/etc/rc[2345].d/S[0-9][0-9]"$1"; do [ -L "$l" ] && /bin/mv "$l" "\${l%/*}/K01$1"; done; fi
exit 0`);
  }
  // apt-get: what dpkg and the maintainer scripts would do, asking policy-rc.d first
  fake('apt-get', `echo "apt-get $*" >> "${log}"
[ "$1" = update ] && exit 0
${opts.aptFails ? 'echo "E: Unable to locate package" >&2; exit 100' : ''}
declare -A services=(${Object.entries(SERVICES).map(([p, s]) => `[${p}]="${s.join(' ')}"`).join(' ')})
policy="${root}/usr/sbin/policy-rc.d"
ask() { if [ -x "$policy" ]; then "$policy" "$1" "$2"; else return 0; fi; }
# the shared library's upgrade restarts the installed snmpd
ask snmpd restart; code=$?; echo "policy-rc.d snmpd restart -> $code" >> "${log}"; [ $code = 101 ] || echo "RESTARTED snmpd" >> "${log}"
for pkg in "$@"; do
  case "$pkg" in -*|install) continue ;; esac
  for svc in \${services[$pkg]}; do
    /bin/ln -sf /lib/systemd/system/$svc.service "${root}/etc/systemd/system/multi-user.target.wants/$svc.service"
    /bin/ln -sf ../init.d/$svc "${root}/etc/rc2.d/S01$svc"
    ask "$svc" start; code=$?; echo "policy-rc.d $svc start -> $code" >> "${log}"; [ $code = 101 ] || echo "STARTED $svc" >> "${log}"
  done
done
exit 0`);
  // the host's snmpd is installed and enabled (it runs: the private snmpd below)
  fs.writeFileSync(path.join(root, 'usr/sbin/snmpd'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  fs.symlinkSync('/lib/systemd/system/snmpd.service', path.join(root, 'etc/systemd/system/multi-user.target.wants/snmpd.service'));
  fs.symlinkSync('../init.d/snmpd', path.join(root, 'etc/rc2.d/S01snmpd'));
  return { dir, root, bin, log };
}

function runScript(s: Sandbox): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('/bin/bash', [SCRIPT], { env: { PATH: s.bin, SYSTEM_DEPS_ROOT: s.root, HOME: s.dir }, timeout: 30000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0, out: stdout + stderr });
    });
  });
}

const calls = (s: Sandbox) => (fs.existsSync(s.log) ? fs.readFileSync(s.log, 'utf8').trim().split('\n') : []);
const links = (dir: string) => fs.readdirSync(dir).sort();

function snmpdAnswers(snmpd: Snmpd): boolean {
  const r = spawnSync('/usr/bin/snmpget', ['-v', '2c', '-c', 'host-community', '-t', '2', '-r', '1', '-On', '-m', '', `127.0.0.1:${snmpd.port}`, '1.3.6.1.2.1.1.5.0'], { encoding: 'utf8' });
  return r.status === 0 && /system-deps-host/.test(r.stdout);
}

describe('scripts/system-deps on a host whose snmpd runs', function () {
  this.timeout(60000);
  let snmpd: Snmpd;
  const boxes: Sandbox[] = [];
  const box = (o?: { uid?: number; aptFails?: boolean }) => {
    const s = sandbox(o);
    boxes.push(s);
    return s;
  };

  before(async () => {
    snmpd = await startSnmpd({ community: 'host-community', sysName: 'system-deps-host' });
    assert.ok(snmpdAnswers(snmpd), 'the stand-in for the host snmpd answers before the script runs');
  });

  after(async () => {
    await snmpd?.stop();
    for (const s of boxes) fs.rmSync(s.dir, { recursive: true, force: true });
  });

  it('installs what is missing under a policy-rc.d that refuses every start and restart, and stops nothing', async () => {
    const s = box();
    const { code, out } = await runScript(s);
    assert.equal(code, 0, out);
    const missing = 'chromium influxdb mariadb-server mosquitto prometheus redis-server snmp snmptrapd';
    assert.match(out, new RegExp(`installing ${missing} \\(services are neither started nor enabled\\)`));
    const log = calls(s);
    assert.ok(log.includes(`apt-get install -y --no-install-recommends ${missing}`), log.join('\n'));
    // every start (new services) and the restart (the upgraded snmpd) was refused with 101
    const asked = log.filter((l) => l.startsWith('policy-rc.d '));
    assert.equal(asked.length, 7, asked.join('\n'));
    for (const l of asked) assert.match(l, / -> 101$/);
    assert.deepEqual(log.filter((l) => /^(STARTED|RESTARTED) /.test(l)), []);
    // nothing stopped, started or killed through any service tool
    assert.deepEqual(log.filter((l) => /^(systemctl|service|invoke-rc\.d|deb-systemd-invoke|pkill|killall) /.test(l)), []);
    assert.deepEqual(log.filter((l) => /\b(stop|start|restart|kill)\b/.test(l) && !l.startsWith('policy-rc.d ')), []);
    assert.equal(fs.existsSync(path.join(s.root, 'usr/sbin/policy-rc.d')), false, 'policy-rc.d is gone afterwards');
    assert.ok(snmpdAnswers(snmpd), 'the running snmpd still runs and answers');
  });

  it('disables for boot only what the install enabled, and leaves the host snmpd enabled', async () => {
    const s = box();
    assert.equal((await runScript(s)).code, 0);
    const log = calls(s);
    const disabled = log.filter((l) => / disable /.test(l) || / disable$/.test(l)).sort();
    assert.deepEqual(disabled, [
      'deb-systemd-helper disable influxdb.service', 'deb-systemd-helper disable mariadb.service', 'deb-systemd-helper disable mosquitto.service',
      'deb-systemd-helper disable prometheus.service', 'deb-systemd-helper disable redis-server.service', 'deb-systemd-helper disable snmptrapd.service',
      'update-rc.d influxdb disable', 'update-rc.d mariadb disable', 'update-rc.d mosquitto disable', 'update-rc.d prometheus disable',
      'update-rc.d redis-server disable', 'update-rc.d snmptrapd disable',
    ]);
    assert.deepEqual(links(path.join(s.root, 'etc/systemd/system/multi-user.target.wants')), ['snmpd.service'], 'boot links as before');
    assert.deepEqual(links(path.join(s.root, 'etc/rc2.d')).filter((l) => l.startsWith('S')), ['S01snmpd']);
  });

  it('puts back a policy-rc.d the host already had', async () => {
    const s = box();
    const own = '#!/bin/sh\n# the admin\'s own policy\nexit 0\n';
    fs.writeFileSync(path.join(s.root, 'usr/sbin/policy-rc.d'), own, { mode: 0o755 });
    assert.equal((await runScript(s)).code, 0);
    assert.ok(calls(s).filter((l) => l.startsWith('policy-rc.d ')).every((l) => / -> 101$/.test(l)), 'ours was in place during the install');
    assert.equal(fs.readFileSync(path.join(s.root, 'usr/sbin/policy-rc.d'), 'utf8'), own);
    assert.deepEqual(fs.readdirSync(path.join(s.root, 'usr/sbin')).sort(), ['policy-rc.d', 'snmpd']);
  });

  it('removes its policy-rc.d when apt-get fails, and says so', async () => {
    const s = box({ aptFails: true });
    const { code, out } = await runScript(s);
    assert.equal(code, 1);
    assert.match(out, /system-deps: apt-get install .* failed/);
    assert.equal(fs.existsSync(path.join(s.root, 'usr/sbin/policy-rc.d')), false);
    assert.ok(snmpdAnswers(snmpd));
  });

  it('as another user, touches nothing and prints the command to run', async () => {
    const s = box({ uid: 1000 });
    const { code, out } = await runScript(s);
    assert.equal(code, 1);
    assert.match(out, /missing Debian packages: chromium influxdb .* snmptrapd\. Install them as root with:\n {2}sudo npm run system-deps\n/);
    assert.deepEqual(calls(s), []);
    assert.equal(fs.existsSync(path.join(s.root, 'usr/sbin/policy-rc.d')), false);
  });
});
