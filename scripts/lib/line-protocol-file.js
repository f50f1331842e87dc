'use strict';
/**
 * The demo's InfluxDB when there is none: a stand-in for InfluxDB 1.x's HTTP API that
 * appends every written point to a file the `influx` CLI can import
 * (`influx -import -path=<file> -precision=ms`), so the examples' influxdb nodes write to
 * it unchanged.
 *
 * The file is bounded: once it passes `maxBytes` it becomes `<file>.1` (replacing the
 * previous one) and a new file starts, so the two never hold more than about twice
 * `maxBytes` however long the demo runs. Timestamps are written in milliseconds whatever
 * precision a writer asks for, so one file never mixes precisions.
 */
const fs = require('fs');
const http = require('http');

const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;

/** Multipliers from a /write `precision` to ms, as BigInt ratios [numerator, denominator]. */
const TO_MS = {
  n: [1n, 1000000n], ns: [1n, 1000000n], u: [1n, 1000n], ms: [1n, 1n],
  s: [1000n, 1n], m: [60000n, 1n], h: [3600000n, 1n],
};

/**
 * A line's timestamp is its last token after an unescaped space: field sets hold no
 * unescaped space outside strings, and a string field ends in a quote, so a trailing
 * run of digits after a space can only be the timestamp.
 */
const TIMESTAMP = /(?<!\\) (-?\d+)$/;

/**
 * Line protocol with every timestamp in ms. `precision` is the /write parameter (InfluxDB
 * 1.x reads a missing one as ns). Lines without a timestamp are kept as they are.
 * @param {string} body
 * @param {string | null | undefined} precision
 * @returns {string}
 */
function toMilliseconds(body, precision) {
  const ratio = TO_MS[precision || 'ns'] || TO_MS.ns;
  if (ratio[0] === 1n && ratio[1] === 1n) return body;
  return body.split('\n').map((line) => line.replace(TIMESTAMP, (_m, t) => ` ${(BigInt(t) * ratio[0]) / ratio[1]}`)).join('\n');
}

/** The header `influx -import` needs before the points. */
function header(database) {
  return `# DML\n# CONTEXT-DATABASE: ${database}\n`;
}

/**
 * Appends points to `file`, rotating it past `maxBytes`.
 * @param {string} file
 * @param {{ database: string, maxBytes?: number, onRotate?: (rotated: string) => void }} o
 */
function createLineProtocolFile(file, o) {
  const maxBytes = o.maxBytes || DEFAULT_MAX_BYTES;
  let size;
  try {
    size = fs.statSync(file).size;
  } catch {
    size = 0;
  }
  return {
    /** @param {string} body line protocol, @param {string} [precision] */
    append(body, precision) {
      const text = toMilliseconds(body.trim(), precision);
      if (!text) return;
      if (size > 0 && size >= maxBytes) {
        fs.renameSync(file, `${file}.1`);
        size = 0;
        if (o.onRotate) o.onRotate(`${file}.1`);
      }
      const chunk = (size === 0 ? header(o.database) : '') + text + '\n';
      fs.appendFileSync(file, chunk);
      size += Buffer.byteLength(chunk);
    },
  };
}

/**
 * Starts the stand-in on a free port of 127.0.0.1.
 * @param {string} file
 * @param {{ database: string, maxBytes?: number, onRotate?: (rotated: string) => void }} o
 * @returns {Promise<{ hostname: string, port: number, stop(): Promise<void> }>}
 */
async function startLineProtocolFile(file, o) {
  const sink = createLineProtocolFile(file, o);
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url || '/', 'http://127.0.0.1');
      if (url.pathname === '/ping') {
        res.writeHead(204, { 'X-Influxdb-Version': 'line-protocol-file' });
        res.end();
      } else if (url.pathname === '/write' && req.method === 'POST') {
        try {
          sink.append(Buffer.concat(chunks).toString('utf8'), url.searchParams.get('precision'));
          res.writeHead(204);
          res.end();
        } catch (err) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: `cannot write ${file}: ${err.message}` }));
        }
      } else if (url.pathname === '/query') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ results: [{ statement_id: 0 }] }));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    hostname: '127.0.0.1',
    port: server.address().port,
    stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

module.exports = { startLineProtocolFile, createLineProtocolFile, toMilliseconds, DEFAULT_MAX_BYTES };
