/**
 * Unix crypt(3) password checking for ari.conf users with `password_format = crypt`.
 *
 * Asterisk hands the stored string to the C library's crypt() and compares the result with the stored string.
 * We do the same without a native addon: the three schemes people actually put in ari.conf are computed here
 * with `node:crypto` digests, following the published algorithms:
 *   - `$6$` SHA-512-crypt and `$5$` SHA-256-crypt (Ulrich Drepper, "Unix crypt using SHA-256 and SHA-512"),
 *     with an optional `rounds=N$` (default 5000, clamped to 1000..999999999) and a salt of at most 16 chars;
 *   - `$1$` MD5-crypt (Poul-Henning Kamp's FreeBSD algorithm), a salt of at most 8 chars, 1000 fixed rounds.
 * DES crypt and bcrypt are not supported; such hashes simply never verify.
 *
 * Cost: a default SHA-crypt check runs 5000 digests (a few milliseconds); callers that check the same
 * credentials on every request may cache successful results.
 */

import { createHash, timingSafeEqual } from 'node:crypto';

/** The crypt(3) schemes supported: `$1$`, `$5$` and `$6$`. */
export type CryptScheme = 'md5' | 'sha256' | 'sha512';

/** The alphabet crypt(3) uses for its base-64 encoding (not RFC 4648's). */
const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const SHA_ROUNDS_DEFAULT = 5000;
const SHA_ROUNDS_MIN = 1000;
const SHA_ROUNDS_MAX = 999_999_999;
const SHA_SALT_MAX = 16;
const MD5_SALT_MAX = 8;

const PREFIX: Readonly<Record<CryptScheme, string>> = { md5: '$1$', sha256: '$5$', sha512: '$6$' };

/**
 * Checks `password` against a stored crypt(3) string (`$6$...`, `$5$...` or `$1$...`).
 * Returns false for a wrong password and for any hash it cannot read; it never throws.
 *
 * @example
 * verifyCrypt('secret', '$1$saltsalt$9xy1btjgzLYfb7hivXtC//'); // true
 */
export function verifyCrypt(password: string, hash: string): boolean {
  let computed: string;
  try {
    const setting = parseSetting(hash);
    if (setting === undefined) return false;
    computed = cryptHash(password, setting.salt, setting.scheme, setting.rounds);
  } catch {
    return false;
  }
  const a = Buffer.from(computed, 'utf8');
  const b = Buffer.from(hash, 'utf8');
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/**
 * Computes the crypt(3) string for `password` with the given salt and scheme, as `crypt(password, setting)`
 * would. The salt is cut to the scheme's maximum (16 for SHA-crypt, 8 for MD5-crypt). With `rounds` given
 * (SHA-crypt only) the result carries `rounds=N$`, N clamped to 1000..999999999; without it 5000 rounds are
 * used and not written. Throws `TypeError` for a salt containing `$`, `:` or a line break, or for rounds
 * with MD5-crypt or rounds that are not a non-negative integer.
 *
 * @example
 * cryptHash('Hello world!', 'saltstring', 'sha256'); // '$5$saltstring$5B8vYYiY...'
 */
export function cryptHash(password: string, salt: string, scheme: CryptScheme, rounds?: number): string {
  if (/[$:\n\r]/.test(salt)) throw new TypeError(`crypt salt must not contain '$', ':' or line breaks: ${JSON.stringify(salt)}`);
  const key = Buffer.from(password, 'utf8');
  switch (scheme) {
    case 'md5': {
      if (rounds !== undefined) throw new TypeError('MD5-crypt has a fixed number of rounds');
      const s = Buffer.from(salt, 'utf8').subarray(0, MD5_SALT_MAX);
      return PREFIX.md5 + s.toString('utf8') + '$' + md5Crypt(key, s);
    }
    case 'sha256':
    case 'sha512': {
      let count = SHA_ROUNDS_DEFAULT;
      let roundsText = '';
      if (rounds !== undefined) {
        if (!Number.isSafeInteger(rounds) || rounds < 0) throw new TypeError(`crypt rounds must be a non-negative integer, got ${rounds}`);
        count = Math.min(Math.max(rounds, SHA_ROUNDS_MIN), SHA_ROUNDS_MAX);
        roundsText = `rounds=${count}$`;
      }
      const s = Buffer.from(salt, 'utf8').subarray(0, SHA_SALT_MAX);
      return PREFIX[scheme] + roundsText + s.toString('utf8') + '$' + shaCrypt(scheme, key, s, count);
    }
    default:
      throw new TypeError(`unknown crypt scheme: ${String(scheme)}`);
  }
}

interface Setting {
  readonly scheme: CryptScheme;
  readonly salt: string;
  readonly rounds?: number;
}

/** Reads scheme, rounds and salt from a stored hash; undefined when it is not one we support. */
function parseSetting(hash: string): Setting | undefined {
  let scheme: CryptScheme;
  if (hash.startsWith('$1$')) scheme = 'md5';
  else if (hash.startsWith('$5$')) scheme = 'sha256';
  else if (hash.startsWith('$6$')) scheme = 'sha512';
  else return undefined;
  let rest = hash.slice(3);
  let rounds: number | undefined;
  if (scheme !== 'md5') {
    const m = /^rounds=([0-9]{1,10})\$/.exec(rest);
    if (m !== null) {
      rounds = Number(m[1]);
      // crypt() would answer with the clamped, canonical number, which cannot equal this string: say no
      // without spending (up to a billion) rounds on it.
      if (String(rounds) !== m[1] || rounds < SHA_ROUNDS_MIN || rounds > SHA_ROUNDS_MAX) return undefined;
      rest = rest.slice(m[0].length);
    }
  }
  const end = rest.indexOf('$');
  if (end < 0) return undefined;
  const salt = rest.slice(0, end);
  // The salt is stored as written, so it must already fit; anything else cannot be a hash we produced.
  if (Buffer.byteLength(salt, 'utf8') > (scheme === 'md5' ? MD5_SALT_MAX : SHA_SALT_MAX)) return undefined;
  if (/[:\n\r]/.test(salt)) return undefined;
  return rounds === undefined ? { scheme, salt } : { scheme, salt, rounds };
}

/** Takes a digest of the concatenation of `parts`. */
function digest(algorithm: string, parts: readonly Buffer[]): Buffer {
  const h = createHash(algorithm);
  for (const p of parts) h.update(p);
  return h.digest();
}

/** `source` repeated (and cut) to exactly `length` bytes. */
function repeatTo(source: Buffer, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let off = 0; off < length; off += source.length) source.copy(out, off, 0, Math.min(source.length, length - off));
  return out;
}

/** Drepper's SHA-crypt (steps 1-21), returning the encoded checksum without the setting. */
function shaCrypt(scheme: 'sha256' | 'sha512', key: Buffer, salt: Buffer, rounds: number): string {
  const algorithm = scheme;
  const size = scheme === 'sha256' ? 32 : 64;

  // Digest B: key, salt, key.
  const b = digest(algorithm, [key, salt, key]);

  // Digest A: key, salt, B repeated over the key's length, then B or key for each bit of the key length.
  const a = createHash(algorithm);
  a.update(key);
  a.update(salt);
  a.update(repeatTo(b, key.length));
  for (let n = key.length; n > 0; n >>>= 1) a.update(n & 1 ? b : key);
  let c = a.digest();

  // Sequence P: the digest of the key repeated key-length times, stretched to the key's length.
  const dp = createHash(algorithm);
  for (let i = 0; i < key.length; i++) dp.update(key);
  const p = repeatTo(dp.digest(), key.length);

  // Sequence S: the digest of the salt repeated 16 + A[0] times, stretched to the salt's length.
  const ds = createHash(algorithm);
  const times = 16 + (c[0] ?? 0);
  for (let i = 0; i < times; i++) ds.update(salt);
  const s = repeatTo(ds.digest(), salt.length);

  for (let i = 0; i < rounds; i++) {
    const h = createHash(algorithm);
    h.update(i & 1 ? p : c);
    if (i % 3 !== 0) h.update(s);
    if (i % 7 !== 0) h.update(p);
    h.update(i & 1 ? c : p);
    c = h.digest();
  }

  return scheme === 'sha256' ? encode(c, SHA256_ORDER, size) : encode(c, SHA512_ORDER, size);
}

/** FreeBSD MD5-crypt, returning the encoded checksum without the setting. */
function md5Crypt(key: Buffer, salt: Buffer): string {
  const magic = Buffer.from('$1$', 'latin1');
  const alt = digest('md5', [key, salt, key]);

  const ctx = createHash('md5');
  ctx.update(key);
  ctx.update(magic);
  ctx.update(salt);
  for (let left = key.length; left > 0; left -= 16) ctx.update(alt.subarray(0, Math.min(16, left)));
  // The original C code feeds either a NUL byte or the key's first byte for each bit of the key length.
  const zero = Buffer.alloc(1);
  const first = key.subarray(0, 1);
  for (let n = key.length; n > 0; n >>>= 1) ctx.update(n & 1 ? zero : first);
  let f = ctx.digest();

  for (let i = 0; i < 1000; i++) {
    const h = createHash('md5');
    h.update(i & 1 ? key : f);
    if (i % 3 !== 0) h.update(salt);
    if (i % 7 !== 0) h.update(key);
    h.update(i & 1 ? f : key);
    f = h.digest();
  }

  return encode(f, MD5_ORDER, 16);
}

/**
 * Byte orders for the final encoding: each triple becomes four characters (little-endian 6-bit groups, first
 * index the most significant byte); a trailing group of two or one byte indices gives three or two chars.
 */
const SHA256_ORDER: readonly (readonly number[])[] = buildShaOrder(32);
const SHA512_ORDER: readonly (readonly number[])[] = buildShaOrder(64);
const MD5_ORDER: readonly (readonly number[])[] = [
  [0, 6, 12],
  [1, 7, 13],
  [2, 8, 14],
  [3, 9, 15],
  [4, 10, 5],
  [11],
];

/**
 * SHA-crypt interleaves the digest in triples (i, i+n, i+2n) rotated by i mod 3, where n is a third of the
 * digest; SHA-256 rotates one way and SHA-512 the other, and the left-over bytes close the string.
 */
function buildShaOrder(size: 32 | 64): (readonly number[])[] {
  const n = size === 32 ? 10 : 21;
  const order: (readonly number[])[] = [];
  for (let i = 0; i < n; i++) {
    const x = i;
    const y = i + n;
    const z = i + 2 * n;
    const r = i % 3;
    if (size === 32) order.push(r === 0 ? [x, y, z] : r === 1 ? [z, x, y] : [y, z, x]);
    else order.push(r === 0 ? [x, y, z] : r === 1 ? [y, z, x] : [z, x, y]);
  }
  order.push(size === 32 ? [31, 30] : [63]);
  return order;
}

function encode(bytes: Buffer, order: readonly (readonly number[])[], size: number): string {
  if (bytes.length !== size) throw new Error('unexpected digest size');
  let out = '';
  for (const group of order) {
    let w = 0;
    for (const index of group) w = (w << 8) | (bytes[index] ?? 0);
    // Three bytes give four characters, two give three, one gives two.
    const chars = group.length + 1;
    for (let k = 0; k < chars; k++) {
      out += ITOA64[w & 0x3f];
      w >>>= 6;
    }
  }
  return out;
}
