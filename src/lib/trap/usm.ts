/**
 * The User-based Security Model of a notification receiver (RFC 3414, RFC 3826,
 * RFC 7860): localized keys, digests, privacy, and the two timeliness rules.
 *
 * Keys are derived here rather than through net-snmp's Authentication.passwordToKey,
 * whose process-wide cache grows by one entry per (password, engine ID): a sender who
 * knows a user name could fill it with random engine IDs and make every message cost a
 * 1 MiB hash. We hash each password once (Ku, RFC 3414 A.2) and localize it per engine
 * with one short hash, in a bounded cache. The results equal net-snmp's (unit-tested).
 *
 * DES is 3DES-EDE with the key repeated (see ../des.ts): Node 20's OpenSSL 3 has no
 * des-cbc in its default provider.
 */
import * as crypto from 'crypto';
import type { AuthProtocol, PrivProtocol, SecurityLevel, V3User } from '../common/types';

interface AuthAlgorithm {
  hash: string;
  /** Length of msgAuthenticationParameters (RFC 3414 §6, RFC 7860 §4.2.2). */
  macLength: number;
}

export const AUTH_ALGORITHMS: Record<AuthProtocol, AuthAlgorithm> = {
  md5: { hash: 'md5', macLength: 12 },
  sha: { hash: 'sha1', macLength: 12 },
  sha224: { hash: 'sha224', macLength: 16 },
  sha256: { hash: 'sha256', macLength: 24 },
  sha384: { hash: 'sha384', macLength: 32 },
  sha512: { hash: 'sha512', macLength: 48 },
};

interface PrivAlgorithm {
  cipher: string;
  keyLength: number;
  /** How a privacy key longer than the localized key is made. */
  extension: 'none' | 'blumenthal' | 'reeder';
}

export const PRIV_ALGORITHMS: Record<PrivProtocol, PrivAlgorithm> = {
  // RFC 3414 §8: the first 8 octets are the key, the next 8 the pre-IV
  des: { cipher: 'des-ede3-cbc', keyLength: 16, extension: 'none' },
  aes: { cipher: 'aes-128-cfb', keyLength: 16, extension: 'none' },
  // draft-blumenthal-aes-usm-04 §3.1.2.1 (Net-SNMP's AES-256)
  aes256b: { cipher: 'aes-256-cfb', keyLength: 32, extension: 'blumenthal' },
  // draft-reeder-snmpv3-usm-3desede-00 §2.1 (Cisco's AES-256)
  aes256r: { cipher: 'aes-256-cfb', keyLength: 32, extension: 'reeder' },
};

const ONE_MIB = 1024 * 1024;

/** RFC 3414 A.2: Ku = H(password repeated to 1 MiB). */
export function passwordToKu(protocol: AuthProtocol, password: string | Buffer): Buffer {
  const pw = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  if (pw.length === 0) throw new Error('empty password');
  return crypto.createHash(AUTH_ALGORITHMS[protocol].hash).update(Buffer.alloc(ONE_MIB, pw)).digest();
}

/** RFC 3414 §2.6: Kul = H(Ku | engineID | Ku). */
export function localizeKey(protocol: AuthProtocol, ku: Buffer, engineId: Buffer): Buffer {
  return crypto.createHash(AUTH_ALGORITHMS[protocol].hash).update(ku).update(engineId).update(ku).digest();
}

/** The keys of one user localized to one engine. */
interface LocalizedKeys {
  auth?: Buffer;
  /** Privacy key of the cipher's length (DES: 8 octets of key then 8 of pre-IV). */
  priv?: Buffer;
}

/** Bound on engines remembered per user (each entry is a few dozen octets). */
const KEY_CACHE_MAX = 1024;

/** A configured USM user with its password-derived keys; secrets never leave this object. */
export class UsmUser {
  readonly name: string;
  readonly nameBytes: Buffer;
  readonly level: SecurityLevel;
  readonly authProtocol?: AuthProtocol;
  readonly privProtocol?: PrivProtocol;
  private readonly authKu?: Buffer;
  private readonly privKu?: Buffer;
  private readonly keys = new Map<string, LocalizedKeys>();

  constructor(user: V3User) {
    this.name = user.name;
    this.nameBytes = Buffer.from(user.name, 'utf8');
    this.level = user.level;
    if (user.level !== 'noAuthNoPriv') {
      if (!user.authProtocol || !user.authKey) throw new Error(`user ${user.name}: authentication needs a protocol and key`);
      this.authProtocol = user.authProtocol;
      this.authKu = passwordToKu(user.authProtocol, user.authKey);
    }
    if (user.level === 'authPriv') {
      if (!user.privProtocol || !user.privKey) throw new Error(`user ${user.name}: privacy needs a protocol and key`);
      this.privProtocol = user.privProtocol;
      // RFC 3414 §2.6: the privacy key is derived with the authentication hash
      this.privKu = passwordToKu(this.authProtocol as AuthProtocol, user.privKey);
    }
  }

  /** A string identifying protocols and keys, to share one UsmUser among equal configurations. */
  static identity(user: V3User): string {
    const h = crypto.createHash('sha256');
    for (const part of [user.name, user.level, user.authProtocol ?? '', user.authKey ?? '', user.privProtocol ?? '', user.privKey ?? '']) {
      h.update(part).update('\0');
    }
    return h.digest('base64');
  }

  get macLength(): number {
    return this.authProtocol ? AUTH_ALGORITHMS[this.authProtocol].macLength : 0;
  }

  private entry(engineId: Buffer): LocalizedKeys {
    const k = engineId.toString('latin1');
    let e = this.keys.get(k);
    if (!e) {
      if (this.keys.size >= KEY_CACHE_MAX) this.keys.delete(this.keys.keys().next().value as string);
      e = {};
      this.keys.set(k, e);
    }
    return e;
  }

  /** Localized authentication key for an engine. */
  authKey(engineId: Buffer): Buffer {
    const e = this.entry(engineId);
    if (!e.auth) e.auth = localizeKey(this.authProtocol as AuthProtocol, this.authKu as Buffer, engineId);
    return e.auth;
  }

  /** Localized (and extended) privacy key for an engine. */
  privKey(engineId: Buffer): Buffer {
    const e = this.entry(engineId);
    if (!e.priv) {
      const auth = this.authProtocol as AuthProtocol;
      const alg = PRIV_ALGORITHMS[this.privProtocol as PrivProtocol];
      let key = localizeKey(auth, this.privKu as Buffer, engineId);
      while (key.length < alg.keyLength) {
        if (alg.extension === 'blumenthal') {
          key = Buffer.concat([key, crypto.createHash(AUTH_ALGORITHMS[auth].hash).update(key).digest()]);
        } else if (alg.extension === 'reeder') {
          // Kul' = Kul | localize(Ku(Kul)): one more 1 MiB hash, done once per engine after a valid digest
          key = Buffer.concat([key, localizeKey(auth, passwordToKu(auth, key), engineId)]);
        } else {
          throw new Error('localized key too short for the cipher');
        }
      }
      e.priv = key.subarray(0, alg.keyLength);
    }
    return e.priv;
  }

  /**
   * HMAC of the whole message with msgAuthenticationParameters zeroed (RFC 3414 §6.3.2,
   * RFC 7860 §4.2.2). The datagram is zeroed and restored in place.
   */
  digest(message: Buffer, authParamsOffset: number, engineId: Buffer): Buffer {
    const alg = AUTH_ALGORITHMS[this.authProtocol as AuthProtocol];
    const saved = Buffer.from(message.subarray(authParamsOffset, authParamsOffset + alg.macLength));
    message.fill(0, authParamsOffset, authParamsOffset + alg.macLength);
    try {
      return crypto.createHmac(alg.hash, this.authKey(engineId)).update(message).digest().subarray(0, alg.macLength);
    } finally {
      saved.copy(message, authParamsOffset);
    }
  }

  /** True when the message's digest is ours (constant-time comparison). */
  isAuthentic(message: Buffer, authParams: Buffer, authParamsOffset: number, engineId: Buffer): boolean {
    if (authParams.length !== this.macLength) return false;
    const expected = this.digest(message, authParamsOffset, engineId);
    return crypto.timingSafeEqual(expected, authParams);
  }

  /**
   * Decrypts an encryptedPDU (RFC 3414 §8.3.2, RFC 3826 §3.1.4). Throws on a
   * malformed salt or ciphertext length.
   */
  decrypt(encrypted: Buffer, privParams: Buffer, engineId: Buffer, engineBoots: number, engineTime: number): Buffer {
    const alg = PRIV_ALGORITHMS[this.privProtocol as PrivProtocol];
    if (privParams.length !== 8) throw new Error('msgPrivacyParameters is not 8 octets');
    const key = this.privKey(engineId);
    if (this.privProtocol === 'des') {
      if (encrypted.length === 0 || encrypted.length % 8 !== 0) throw new Error('DES ciphertext is not a multiple of 8 octets');
      const des = key.subarray(0, 8);
      const iv = Buffer.alloc(8);
      for (let i = 0; i < 8; i++) iv[i] = key[8 + i] ^ privParams[i];
      const d = crypto.createDecipheriv(alg.cipher, Buffer.concat([des, des, des]), iv);
      d.setAutoPadding(false);
      return Buffer.concat([d.update(encrypted), d.final()]);
    }
    const d = crypto.createDecipheriv(alg.cipher, key, aesIv(engineBoots, engineTime, privParams));
    return Buffer.concat([d.update(encrypted), d.final()]);
  }

  /** Encrypts a ScopedPDU for a response; returns the ciphertext and msgPrivacyParameters. */
  encrypt(scopedPdu: Buffer, engineId: Buffer, engineBoots: number, engineTime: number): { data: Buffer; privParams: Buffer } {
    const alg = PRIV_ALGORITHMS[this.privProtocol as PrivProtocol];
    const key = this.privKey(engineId);
    const salt = nextSalt(engineBoots);
    if (this.privProtocol === 'des') {
      const des = key.subarray(0, 8);
      const iv = Buffer.alloc(8);
      for (let i = 0; i < 8; i++) iv[i] = key[8 + i] ^ salt[i];
      const padded = scopedPdu.length % 8 === 0 ? scopedPdu : Buffer.concat([scopedPdu, Buffer.alloc(8 - (scopedPdu.length % 8))]);
      const c = crypto.createCipheriv(alg.cipher, Buffer.concat([des, des, des]), iv);
      c.setAutoPadding(false);
      return { data: Buffer.concat([c.update(padded), c.final()]), privParams: salt };
    }
    const c = crypto.createCipheriv(alg.cipher, key, aesIv(engineBoots, engineTime, salt));
    return { data: Buffer.concat([c.update(scopedPdu), c.final()]), privParams: salt };
  }
}

/** RFC 3826 §3.1.2.1: IV = engineBoots | engineTime | salt. */
function aesIv(engineBoots: number, engineTime: number, salt: Buffer): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(engineBoots >>> 0, 0);
  iv.writeUInt32BE(engineTime >>> 0, 4);
  salt.copy(iv, 8, 0, 8);
  return iv;
}

let saltCounter = crypto.randomBytes(4).readUInt32BE(0);

/**
 * RFC 3414 §8.1.1.1: the DES salt is engineBoots then a counter, so it never repeats
 * under one key; AES (RFC 3826 §3.1.2.1) only needs it unique, which this also is.
 */
function nextSalt(engineBoots: number): Buffer {
  const salt = Buffer.alloc(8);
  salt.writeUInt32BE(engineBoots >>> 0, 0);
  saltCounter = (saltCounter + 1) >>> 0;
  salt.writeUInt32BE(saltCounter, 4);
  return salt;
}

/** RFC 3414 §2.2.3: the time window. */
export const TIME_WINDOW_SECONDS = 150;

/** RFC 3414 §2.2: engineBoots latches at 2^31-1, after which nothing is timely. */
const MAX_BOOTS = 0x7fffffff;

/** Our own engine, authoritative for the informs sent to us (RFC 3414 §2.2.1). */
export class LocalEngine {
  private readonly startedAt: number;

  constructor(readonly id: Buffer, readonly boots: number, private readonly now: () => number = Date.now) {
    this.startedAt = now();
  }

  /** snmpEngineTime: seconds since this engine (re)started. */
  get time(): number {
    return Math.floor((this.now() - this.startedAt) / 1000);
  }

  /** RFC 3414 §3.2 step 7a. */
  isTimely(boots: number, time: number): boolean {
    if (this.boots >= MAX_BOOTS) return false;
    return boots === this.boots && Math.abs(time - this.time) <= TIME_WINDOW_SECONDS;
  }
}

interface RemoteClock {
  /** The engine ID and user name octets, for export. */
  engine: Buffer;
  user: Buffer;
  boots: number;
  time: number;
  /** Local ms when `time` was latest. */
  at: number;
}

/** A remote engine's clock as kept in a context store (readable names, hex engine ID). */
export interface ClockRecord {
  /** msgAuthoritativeEngineID, hex. */
  engine: string;
  user: string;
  boots: number;
  time: number;
  /** ms epoch of this machine when the engine's time was `time`. */
  at: number;
}

/** Bound on remote (engine, user) clocks remembered. */
export const CLOCKS_MAX = 10_000;

/** The key of an engine and user (length-prefixed: an engine ID may hold any octet). */
function clockKey(engine: Buffer, user: Buffer): string {
  return `${engine.length}:${engine.toString('latin1')}${user.toString('latin1')}`;
}

function isUint31(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0x7fffffff;
}

/**
 * Timeliness of notifications whose sender is authoritative (traps). RFC 3414 §3.2
 * step 7b: per (engine, user) we keep the latest boots/time seen and advance it with
 * the local clock; a message more than 150 s older than that estimate, or from an
 * earlier boot, is rejected. Only called for authenticated messages, so a forger
 * cannot move the clock.
 *
 * What was learned must outlive the listener: without it, a captured trap is timely
 * again after a redeploy or a restart (the first message of an unknown engine sets its
 * clock). The registry keeps one instance per process, and trap-in nodes save their
 * users' clocks in their context store (records()/restore()).
 */
export class RemoteClocks {
  private readonly clocks = new Map<string, RemoteClock>();

  constructor(private readonly now: () => number = Date.now, private readonly max = CLOCKS_MAX) {}

  /** Checks and, when timely, records the message's boots/time. */
  check(engine: Buffer, user: Buffer, boots: number, time: number): boolean {
    if (boots >= MAX_BOOTS) return false;
    const now = this.now();
    const key = clockKey(engine, user);
    const clock = this.clocks.get(key);
    if (!clock) {
      this.add(key, { engine: Buffer.from(engine), user: Buffer.from(user), boots, time, at: now });
      return true;
    }
    if (boots < clock.boots) return false;
    if (boots > clock.boots) {
      clock.boots = boots;
      clock.time = time;
      clock.at = now;
      return true;
    }
    const estimated = clock.time + Math.floor((now - clock.at) / 1000);
    if (time < estimated - TIME_WINDOW_SECONDS) return false;
    if (time > estimated) {
      clock.time = time;
      clock.at = now;
    }
    return true;
  }

  private add(key: string, clock: RemoteClock): void {
    if (this.clocks.size >= this.max) this.clocks.delete(this.clocks.keys().next().value as string);
    this.clocks.set(key, clock);
  }

  /** The clocks of the given users (all when omitted), in the order first seen. */
  records(users?: ReadonlySet<string>): ClockRecord[] {
    const out: ClockRecord[] = [];
    for (const c of this.clocks.values()) {
      const user = c.user.toString('utf8');
      if (users && !users.has(user)) continue;
      out.push({ engine: c.engine.toString('hex'), user, boots: c.boots, time: c.time, at: c.at });
    }
    return out;
  }

  /**
   * Takes back saved clocks. A clock already known is kept when it is ahead (greater
   * boots, or the same boots and a later estimated time). Records that cannot be a
   * clock are skipped; returns how many were taken.
   */
  restore(records: unknown): number {
    if (!Array.isArray(records)) return 0;
    const now = this.now();
    let taken = 0;
    for (const r of records.slice(-this.max)) {
      if (!r || typeof r !== 'object') continue;
      const { engine, user, boots, time, at } = r as Partial<ClockRecord>;
      if (typeof engine !== 'string' || !/^([0-9a-f]{2}){1,32}$/.test(engine) || typeof user !== 'string' || user.length > 32) continue;
      if (!isUint31(boots) || !isUint31(time) || typeof at !== 'number' || !Number.isFinite(at) || at < 0) continue;
      // a saved time ahead of this clock (set back since) counts from now
      const when = Math.min(at, now);
      const engineBytes = Buffer.from(engine, 'hex');
      const userBytes = Buffer.from(user, 'utf8');
      const key = clockKey(engineBytes, userBytes);
      const known = this.clocks.get(key);
      if (known) {
        const ahead = boots > known.boots
          || (boots === known.boots && time + (now - when) / 1000 > known.time + (now - known.at) / 1000);
        if (!ahead) continue;
        known.boots = boots;
        known.time = time;
        known.at = when;
      } else {
        this.add(key, { engine: engineBytes, user: userBytes, boots, time, at: when });
      }
      taken++;
    }
    return taken;
  }

  get size(): number {
    return this.clocks.size;
  }
}

/** Bound on remembered digests; at 20,000 authenticated traps/s a 150 s window needs more, so the oldest go first. */
const REPLAY_MAX = 200_000;

/**
 * Exact duplicates within the time window (a replayed datagram is timely for up to
 * 150 s): keyed by engine, user, msgID and digest. Entries expire after the window,
 * by which time the clock check above rejects the same datagram.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now, private readonly windowMs = (TIME_WINDOW_SECONDS + 10) * 1000) {}

  /** True when the key was seen within the window; otherwise records it. */
  isReplay(key: string): boolean {
    const now = this.now();
    this.prune(now);
    const expires = this.seen.get(key);
    if (expires !== undefined && expires > now) return true;
    if (this.seen.size >= REPLAY_MAX) this.seen.delete(this.seen.keys().next().value as string);
    this.seen.set(key, now + this.windowMs);
    return false;
  }

  private prune(now: number): void {
    // insertion order is expiry order (one fixed window)
    for (const [k, expires] of this.seen) {
      if (expires > now) break;
      this.seen.delete(k);
    }
  }

  get size(): number {
    return this.seen.size;
  }
}
