/**
 * CRC-32 (IEEE 802.3, as zlib and gzip compute it) of a spool record, so a record torn
 * or garbled by a crash is recognised on replay instead of being delivered. zlib.crc32
 * exists from Node.js 20.15 / 22.2; the table below serves Node.js 18.
 */
import * as zlib from 'zlib';

const native = (zlib as unknown as { crc32?: (data: Uint8Array) => number }).crc32;

let table: Uint32Array | undefined;

function makeTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

/** CRC-32 of `data`, as an unsigned 32-bit number. */
export function crc32(data: Uint8Array): number {
  if (native) return native(data) >>> 0;
  return crc32Table(data);
}

/** The table-driven CRC-32, exported for the test that holds it equal to zlib's. */
export function crc32Table(data: Uint8Array): number {
  const t = table ?? (table = makeTable());
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
