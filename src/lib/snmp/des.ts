/**
 * USM DES privacy (RFC 3414 §8) without OpenSSL's legacy provider.
 *
 * Node 20 ships OpenSSL 3, whose default provider has no `des-cbc`: net-snmp's DES
 * then fails with "unsupported". Single DES equals 3DES-EDE with the same key three
 * times (E_K(D_K(E_K(x))) = E_K(x)), and `des-ede3-cbc` is in the default provider, so
 * we replace net-snmp's DES encrypt/decrypt with that construction. Installed once,
 * process-wide, by importing this module (idempotent).
 */
import * as crypto from 'crypto';
import * as snmp from 'net-snmp';

const BLOCK = 8;
let installed = false;
/** Monotonic low half of the salt; the high half is a per-process random "boots". */
let saltCounter = crypto.randomBytes(4).readUInt32BE(0);
const saltHigh = crypto.randomBytes(4);

interface Engine { engineID: Buffer }

function keyAndPreIv(privPassword: string, authProtocol: number, engineID: Buffer): { key: Buffer; preIv: Buffer } {
  // RFC 3414 §8.1.1.1: the localized privacy key's first 8 octets are the DES key, the
  // next 8 the pre-IV. For 20-byte (SHA) and longer auth digests the same rule applies.
  const localized: Buffer = (snmp as any).Authentication.passwordToKey(authProtocol, privPassword, engineID);
  const des = localized.subarray(0, 8);
  return { key: Buffer.concat([des, des, des]), preIv: localized.subarray(8, 16) };
}

function xorIv(preIv: Buffer, salt: Buffer): Buffer {
  const iv = Buffer.alloc(BLOCK);
  for (let i = 0; i < BLOCK; i++) iv[i] = preIv[i] ^ salt[i];
  return iv;
}

/** Encrypts a scoped PDU; returns the ciphertext and msgPrivacyParameters (the salt). */
export function encryptPduDes(scopedPdu: Buffer, _privProtocol: unknown, privPassword: string, authProtocol: number, engine: Engine) {
  const { key, preIv } = keyAndPreIv(privPassword, authProtocol, engine.engineID);
  const salt = Buffer.alloc(BLOCK);
  saltHigh.copy(salt, 0);
  saltCounter = (saltCounter + 1) >>> 0;
  salt.writeUInt32BE(saltCounter, 4);
  const padded = scopedPdu.length % BLOCK === 0
    ? scopedPdu
    : Buffer.concat([scopedPdu, Buffer.alloc(BLOCK - (scopedPdu.length % BLOCK))]);
  const cipher = crypto.createCipheriv('des-ede3-cbc', key, xorIv(preIv, salt));
  cipher.setAutoPadding(false);
  return { encryptedPdu: Buffer.concat([cipher.update(padded), cipher.final()]), msgPrivacyParameters: salt };
}

/** Decrypts a scoped PDU; throws on a ciphertext that is not a whole number of blocks. */
export function decryptPduDes(encryptedPdu: Buffer, _privProtocol: unknown, privParameters: Buffer, privPassword: string, authProtocol: number, engine: Engine): Buffer {
  if (!Buffer.isBuffer(privParameters) || privParameters.length !== BLOCK) {
    throw new Error('DES privacy parameters must be 8 octets');
  }
  if (encryptedPdu.length === 0 || encryptedPdu.length % BLOCK !== 0) {
    throw new Error('DES ciphertext is not a multiple of 8 octets');
  }
  const { key, preIv } = keyAndPreIv(privPassword, authProtocol, engine.engineID);
  const decipher = crypto.createDecipheriv('des-ede3-cbc', key, xorIv(preIv, privParameters));
  decipher.setAutoPadding(false);
  return Buffer.concat([decipher.update(encryptedPdu), decipher.final()]);
}

/** Points net-snmp's DES entry at the 3DES-EDE construction. Safe to call many times. */
export function installDesCompat(): void {
  if (installed) return;
  const algorithms = (snmp as any).Encryption?.algorithms;
  const des = algorithms?.[(snmp as any).PrivProtocols.des];
  if (!des) return;
  des.encryptPdu = encryptPduDes;
  des.decryptPdu = decryptPduDes;
  installed = true;
}

installDesCompat();
