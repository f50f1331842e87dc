'use strict';
/**
 * The baseline: the same polls with net-snmp alone, written as a user of the library
 * would write them. One long-lived session per device (its best case: no socket set-up
 * in the timed cycle), at most `concurrency` devices in flight, each table walked with
 * `session.subtree(oid, maxRepetitions, ...)` one after the other, scalars fetched with
 * one `session.get`. The varbinds are collected per device and counted; nothing more.
 */
const snmp = require('net-snmp');

class RawFleet {
  constructor(devices, { community = 'public', timeout = 2000, retries = 1, concurrency = 50, maxRepetitions = 25 } = {}) {
    this.devices = devices;
    this.concurrency = concurrency;
    this.maxRepetitions = maxRepetitions;
    this.options = { port: 161, version: snmp.Version2c, timeout, retries, transport: 'udp4' };
    this.community = community;
    this.sessions = new Map();
  }

  session(d) {
    let s = this.sessions.get(d);
    if (!s) {
      s = snmp.createSession(d.host, this.community, { ...this.options, port: d.port });
      s.on('error', () => { /* counted through the request callbacks */ });
      this.sessions.set(d, s);
    }
    return s;
  }

  /** Runs `task(device)` (a promise of a varbind count) over the fleet, `concurrency` at a time. */
  async cycle(task) {
    let next = 0;
    let ok = 0;
    let failed = 0;
    let varbinds = 0;
    const worker = async () => {
      while (next < this.devices.length) {
        const d = this.devices[next++];
        try {
          // not `varbinds += await ...`: that reads the sum before the await and loses
          // the other workers' additions
          const n = await task(d);
          varbinds += n;
          ok++;
        } catch {
          failed++;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, this.devices.length) }, worker));
    return { ok, failed, varbinds };
  }

  /** One subtree walk; resolves with its varbinds. */
  subtree(session, oid) {
    return new Promise((resolve, reject) => {
      const out = [];
      session.subtree(oid, this.maxRepetitions, (vbs) => {
        for (const vb of vbs) out.push(vb);
      }, (err) => (err ? reject(err) : resolve(out)));
    });
  }

  /** Walks each of `oids` on every device (one subtree after the other per device). */
  walkCycle(oids) {
    return this.cycle(async (d) => {
      const s = this.session(d);
      let n = 0;
      for (const oid of oids) n += (await this.subtree(s, oid)).length;
      return n;
    });
  }

  /** GETs `oids` from every device. */
  getCycle(oids) {
    return this.cycle((d) => new Promise((resolve, reject) => {
      this.session(d).get(oids, (err, vbs) => {
        if (err) return reject(err);
        for (const vb of vbs) if (snmp.isVarbindError(vb)) return reject(new Error(snmp.varbindError(vb)));
        resolve(vbs.length);
      });
    }));
  }

  close() {
    for (const s of this.sessions.values()) {
      try { s.close(); } catch { /* already closed */ }
    }
    this.sessions.clear();
  }
}

module.exports = { RawFleet };
