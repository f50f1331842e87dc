'use strict';
/**
 * A real Node-RED runtime embedded in the measuring process (so process.cpuUsage sees
 * all of its work): a temporary userDir with this pack symlinked into node_modules, as
 * scripts/demo.js installs it, and a `bench-sink` node in userDir/nodes that counts what
 * reaches it. The admin API and editor are off, flows are set through
 * RED.runtime.flows.setFlows and cycles are triggered by sending a message to a node.
 * With `http: true` the HTTP node server listens on a free port of 127.0.0.1 (for
 * snmp-metrics' scrapes); otherwise there is no HTTP at all.
 */
const fs = require('fs');
const http = require('http');
const path = require('path');
const { tempDir, removeTempDir } = require('./procs');

const ROOT = path.resolve(__dirname, '..', '..');
const PACKAGE_NAME = require(path.join(ROOT, 'package.json')).name;

/** The sink node: one counter per `channel`, kept on a process global the bench reads. */
const SINK_JS = `'use strict';
module.exports = function (RED) {
  function BenchSink(config) {
    RED.nodes.createNode(this, config);
    const channel = config.channel;
    this.on('input', (msg, send, done) => {
      const hooks = globalThis.__snmpFleetBench;
      if (hooks) hooks.onMessage(channel, msg);
      done();
    });
  }
  RED.nodes.registerType('bench-sink', BenchSink);
};
`;
const SINK_HTML = `<script type="text/javascript">
RED.nodes.registerType('bench-sink', { category: 'common', defaults: { channel: { value: '' } }, inputs: 1, outputs: 0, label: 'bench sink' });
</script>
`;

/**
 * The least a trap receiver in Node-RED does: a node that sends every datagram of its UDP
 * socket on as a message (`topic` the source address, `payload` the bytes), decoding nothing.
 * Its CPU per datagram is the floor of any node that emits a message per trap.
 */
const FORWARD_JS = `'use strict';
module.exports = function (RED) {
  const dgram = require('dgram');
  function BenchUdpForward(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const socket = dgram.createSocket('udp4');
    socket.on('message', (buf, rinfo) => node.send({ topic: rinfo.address, payload: buf }));
    socket.on('error', (err) => node.error(err.message));
    socket.bind({ address: '127.0.0.1', port: Number(config.port) }, () => socket.setRecvBufferSize(4 * 1024 * 1024));
    this.on('close', (done) => socket.close(() => done()));
  }
  RED.nodes.registerType('bench-udp-forward', BenchUdpForward);
};
`;
const FORWARD_HTML = `<script type="text/javascript">
RED.nodes.registerType('bench-udp-forward', { category: 'common', defaults: { port: { value: '' } }, inputs: 0, outputs: 1, label: 'bench UDP forward' });
</script>
`;

class Counter {
  constructor() {
    this.reset();
  }

  reset() {
    this.messages = 0;
    this.ok = 0;
    this.failed = 0;
    this.varbinds = 0;
    this.rated = 0;
    this.firstError = undefined;
    this.waiter = undefined;
    /** Requests by the second of their answer (msg.snmp.time), for the request-rate profile. */
    this.bySecond = new Map();
  }

  add(msg) {
    this.messages++;
    const snmp = msg.snmp;
    if (snmp && typeof snmp.time === 'number') {
      const second = Math.floor(snmp.time / 1000);
      this.bySecond.set(second, (this.bySecond.get(second) || 0) + (snmp.requests || 1));
    }
    if (msg.payload === null || msg.payload === undefined) {
      this.failed++;
      if (!this.firstError && msg.error) this.firstError = `${msg.error.code}: ${msg.error.message}`;
    } else {
      this.ok++;
      if (Array.isArray(msg.varbinds)) this.varbinds += msg.varbinds.length;
      else this.varbinds++;
      // proof that counter-rate did its work: a walk row whose octet counter became a rate
      const row = Array.isArray(msg.payload) ? msg.payload[0] : undefined;
      if (row && typeof row.ifHCInOctets === 'number') this.rated++;
    }
    if (this.waiter && this.messages >= this.waiter.count) {
      const w = this.waiter;
      this.waiter = undefined;
      clearTimeout(w.timer);
      w.resolve();
    }
  }

  /** Resolves once `count` messages arrived since the last reset. */
  waitFor(count, timeoutMs) {
    if (this.messages >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`only ${this.messages} of ${count} messages within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = { count, resolve, timer };
    });
  }
}

class EmbeddedRed {
  /**
   * `packDir`: the package folder to install (default this repository); another build for before/after runs.
   * `onMessage(channel, msg)`: called for every message a sink receives, besides the counters (the soak's cycle accounting).
   * `http`: serve Node-RED's HTTP node server on a free loopback port (the snmp-metrics scrape bench).
   * `packDir: null`: Node-RED without this pack (the RSS part's measure of Node-RED itself).
   */
  constructor({ packDir = ROOT, onMessage, http: withHttp = false } = {}) {
    this.packDir = packDir;
    this.onMessage = onMessage;
    this.withHttp = withHttp;
    this.server = undefined;
    /** http://127.0.0.1:<port> of the HTTP node server, when it listens. */
    this.httpUrl = undefined;
    this.userDir = tempDir('snmp-fleet-bench-');
    this.counters = new Map();
    this.logged = [];
    this.RED = undefined;
  }

  counter(channel) {
    let c = this.counters.get(channel);
    if (!c) {
      c = new Counter();
      this.counters.set(channel, c);
    }
    return c;
  }

  async start() {
    const withPack = this.packDir !== null;
    if (withPack) {
      const scope = path.join(this.userDir, 'node_modules', ...PACKAGE_NAME.split('/').slice(0, -1));
      fs.mkdirSync(scope, { recursive: true });
      fs.symlinkSync(this.packDir, path.join(this.userDir, 'node_modules', PACKAGE_NAME), 'dir');
    }
    fs.writeFileSync(path.join(this.userDir, 'package.json'), JSON.stringify({ name: 'snmp-fleet-bench', private: true, dependencies: withPack ? { [PACKAGE_NAME]: `file:${this.packDir}` } : {} }));
    fs.mkdirSync(path.join(this.userDir, 'nodes'));
    fs.writeFileSync(path.join(this.userDir, 'nodes', 'bench-sink.js'), SINK_JS);
    fs.writeFileSync(path.join(this.userDir, 'nodes', 'bench-sink.html'), SINK_HTML);
    fs.writeFileSync(path.join(this.userDir, 'nodes', 'bench-udp-forward.js'), FORWARD_JS);
    fs.writeFileSync(path.join(this.userDir, 'nodes', 'bench-udp-forward.html'), FORWARD_HTML);
    fs.writeFileSync(path.join(this.userDir, 'flows.json'), '[]');

    globalThis.__snmpFleetBench = {
      onMessage: (channel, msg) => {
        this.counter(channel).add(msg);
        if (this.onMessage) this.onMessage(channel, msg);
      },
    };
    const RED = require('node-red');
    this.RED = RED;
    const logged = this.logged;
    // embedded, Node-RED does not serve its HTTP node app itself: this server does
    this.server = http.createServer((req, res) => RED.httpNode(req, res));
    RED.init(this.server, {
      userDir: this.userDir,
      flowFile: 'flows.json',
      credentialSecret: 'snmp-fleet-bench-only',
      httpAdminRoot: false,
      httpNodeRoot: this.withHttp ? '/' : false,
      disableEditor: true,
      uiHost: '127.0.0.1',
      editorTheme: { projects: { enabled: false } },
      logging: {
        bench: {
          level: 'warn',
          metrics: false,
          audit: false,
          // warnings and errors are kept for the report instead of interleaving with the table
          handler: () => (m) => { if (logged.length < 1000) logged.push(`[${m.level === 20 ? 'error' : m.level === 30 ? 'warn' : m.level}] ${m.type ? `[${m.type}:${m.name || m.id}] ` : ''}${m.msg}`); },
        },
      },
    });
    await RED.start();
    if (this.withHttp) {
      await new Promise((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen(0, '127.0.0.1', resolve);
      });
      this.httpUrl = `http://127.0.0.1:${this.server.address().port}`;
    }
    const sets = RED.runtime ? await RED.runtime.nodes.getNodeList({}) : [];
    const ours = sets.filter((s) => s.module === PACKAGE_NAME);
    const broken = ours.filter((s) => !s.enabled || s.err);
    if (withPack && ours.length === 0) throw new Error(`Node-RED did not load ${PACKAGE_NAME} from ${this.userDir}/node_modules`);
    if (broken.length) throw new Error(`Node-RED could not load ${broken.map((s) => `${s.name}: ${s.err}`).join('; ')}`);
    for (const type of ['bench-sink', 'bench-udp-forward']) {
      if (!sets.some((s) => s.types.includes(type))) throw new Error(`the ${type} node did not load`);
    }
    return ours.map((s) => s.name);
  }

  /** Full deployment (credentials inside the nodes, as the editor sends them). */
  async deploy(flows) {
    await this.RED.runtime.flows.setFlows({ flows: { flows }, deploymentType: 'full' });
    // setFlows resolves once the flows are saved; the nodes start a little later
    const ids = flows.filter((n) => n.type !== 'tab').map((n) => n.id);
    const until = Date.now() + 20000;
    while (ids.some((id) => !this.RED.nodes.getNode(id))) {
      if (Date.now() > until) {
        const missing = ids.filter((id) => !this.RED.nodes.getNode(id));
        throw new Error(`nodes ${missing.join(', ')} did not start: ${this.logged.slice(-5).join(' | ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  node(id) {
    const n = this.RED.nodes.getNode(id);
    if (!n) throw new Error(`node ${id} is not running`);
    return n;
  }

  /** The pack's trap listener on `address`:`port` (its counters), from the module Node-RED loaded. */
  trapListener(address, port) {
    return require(path.join(this.packDir, 'nodes', 'lib', 'trap', 'registry.js')).findListener(address, port);
  }

  /** Sends `msg` to node `id` as if it came down a wire. */
  trigger(id, msg = { payload: 'bench' }) {
    this.node(id).receive(msg);
  }

  async stop() {
    try {
      if (this.RED) await this.RED.stop();
    } finally {
      if (this.server && this.server.listening) {
        this.server.closeAllConnections();
        await new Promise((resolve) => this.server.close(resolve));
      }
      delete globalThis.__snmpFleetBench;
      removeTempDir(this.userDir);
    }
  }
}

module.exports = { EmbeddedRed };
