/**
 * HTTP digest authentication for SIP (RFC 3261 §22, RFC 2617, RFC 7616 / RFC 8760 for SHA-256 and
 * SHA-512-256), both sides:
 *
 * - the pure computations (`hashHex`, `computeHa1`, `digestResponse`);
 * - `DigestServer`: challenges (one `WWW-Authenticate` per realm and algorithm, `qop="auth"`, an opaque) and
 *   verification of `Authorization` against pjsip.conf `auth` objects (`userpass`, `md5_cred`,
 *   `password_digest`). Nonces are stateless: `<issued seconds>/<salt>/<HMAC(secret, issued/salt:realm)>`, so any stack
 *   instance with the same secret can check them and they expire after `nonce_lifetime` (then the client gets
 *   `stale=true` and retries without asking its user). The only state kept is the highest `nc` seen per nonce,
 *   which rejects replayed `qop=auth` credentials; entries disappear when their nonce expires.
 * - `answerChallenge`: the client side for `outbound_auth` — picks a challenge whose algorithm the auth object
 *   allows, counts `nc` per nonce and returns the retried request.
 *
 * Asterisk 22 offers the algorithms listed in `supported_algorithms_uas` (global default `MD5`), one challenge
 * each in that order; Ariadne does the same, so `SHA-256,MD5` gives SHA-256 first as RFC 8760 §2.4 asks.
 */

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DigestAlgorithm, PjsipAuth } from '../../config/pjsip.ts';
import { formatChallenge, formatCredentials, parseAuth, type AuthValue } from '../message/fields.ts';
import { generateBranch } from '../message/helpers.ts';
import { cseq, topVia, type SipRequest, type SipResponse } from '../message/message.ts';
import { SipParseError } from '../message/errors.ts';

const NODE_HASH: Record<DigestAlgorithm, string> = { MD5: 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };

export function hashHex(algorithm: DigestAlgorithm, data: string): string {
  return createHash(NODE_HASH[algorithm]).update(data, 'utf8').digest('hex');
}

/** A1 hash `H(username:realm:password)`. */
export function computeHa1(algorithm: DigestAlgorithm, username: string, realm: string, password: string): string {
  return hashHex(algorithm, `${username}:${realm}:${password}`);
}

/** Parses an `algorithm` parameter (absent = MD5); `-sess` variants are reported with `sess: true`. */
export function parseAlgorithm(value: string | undefined): { algorithm: DigestAlgorithm; sess: boolean } | undefined {
  const v = (value ?? 'MD5').toUpperCase();
  const sess = v.endsWith('-SESS');
  const base = sess ? v.slice(0, -5) : v;
  const algorithm = (['MD5', 'SHA-256', 'SHA-512-256'] as const).find((a) => a === base);
  return algorithm === undefined ? undefined : { algorithm, sess };
}

export interface DigestInput {
  readonly algorithm: DigestAlgorithm;
  /** `-sess` variant: HA1 becomes H(HA1:nonce:cnonce). */
  readonly sess?: boolean;
  /** H(username:realm:password), from `computeHa1` or a stored `md5_cred`. */
  readonly ha1: string;
  readonly method: string;
  readonly uri: string;
  readonly nonce: string;
  /** 'auth' or absent (RFC 2069 compatibility). */
  readonly qop?: string | undefined;
  readonly nc?: string | undefined;
  readonly cnonce?: string | undefined;
}

/** The `response` value of RFC 2617 §3.2.2.1 (qop=auth or none). */
export function digestResponse(input: DigestInput): string {
  const { algorithm } = input;
  const ha1 = input.sess === true ? hashHex(algorithm, `${input.ha1}:${input.nonce}:${input.cnonce ?? ''}`) : input.ha1;
  const ha2 = hashHex(algorithm, `${input.method}:${input.uri}`);
  if (input.qop === undefined) return hashHex(algorithm, `${ha1}:${input.nonce}:${ha2}`);
  return hashHex(algorithm, `${ha1}:${input.nonce}:${input.nc ?? ''}:${input.cnonce ?? ''}:${input.qop}:${ha2}`);
}

/** HA1 for `auth` under `algorithm` and `realm`, or undefined when the object cannot produce one. */
export function authHa1(auth: PjsipAuth, algorithm: DigestAlgorithm, realm: string): string | undefined {
  if (auth.authType === 'md5') return algorithm === 'MD5' ? auth.md5Cred.toLowerCase() : undefined;
  const stored = auth.passwordDigests[algorithm];
  if (stored !== undefined && auth.password === '') return stored.toLowerCase();
  if (auth.authType !== 'userpass' && auth.authType !== 'digest') return stored?.toLowerCase();
  return computeHa1(algorithm, auth.username, realm, auth.password);
}

// ---------------------------------------------------------------------------------------------------------
// server

export interface DigestServerOptions {
  /** HMAC key for nonces; random per process by default. */
  readonly secret?: Buffer;
  /** Wall clock in ms (tests inject one). */
  readonly now?: () => number;
}

export interface ChallengeOptions {
  readonly realm: string;
  readonly algorithms: readonly DigestAlgorithm[];
  readonly stale?: boolean;
}

export type VerifyResult =
  /** Credentials checked out against this auth object. */
  | { readonly result: 'ok'; readonly auth: PjsipAuth; readonly username: string }
  /** No credentials for one of our realms: challenge. */
  | { readonly result: 'missing' }
  /** Right password but an expired nonce: challenge with stale=true. */
  | { readonly result: 'stale' }
  /** Wrong user, password, replayed nc, forged nonce ...: challenge again (and count it as a failure). */
  | { readonly result: 'failed'; readonly reason: string; readonly username?: string };

export interface VerifyOptions {
  /** The auth objects the endpoint lists (`auth=`). */
  readonly auths: readonly PjsipAuth[];
  /** Realm used for an auth object whose `realm` is empty (global `default_realm`). */
  readonly defaultRealm: string;
  /** Algorithms allowed when the auth object does not list its own. */
  readonly defaultAlgorithms: readonly DigestAlgorithm[];
}

export class DigestServer {
  readonly #secret: Buffer;
  readonly #now: () => number;
  /** nonce → highest nc seen, with the nonce's expiry, for replay protection. */
  readonly #seen = new Map<string, { nc: number; expires: number }>();
  readonly #opaque: string;

  constructor(options: DigestServerOptions = {}) {
    this.#secret = options.secret ?? randomBytes(32);
    this.#now = options.now ?? Date.now;
    this.#opaque = createHmac('sha256', this.#secret).update('opaque').digest('hex').slice(0, 32);
  }

  /** A fresh nonce for `realm`: issue time in seconds, a random salt (so two challenges never share a nonce), and their HMAC. */
  nonce(realm: string): string {
    const issued = Math.floor(this.#now() / 1000).toString(16);
    const salt = randomBytes(6).toString('hex');
    return `${issued}/${salt}/${this.#sign(`${issued}/${salt}`, realm)}`;
  }

  #sign(stamp: string, realm: string): string {
    return createHmac('sha256', this.#secret).update(`${stamp}:${realm}`).digest('hex').slice(0, 32);
  }

  /** 'valid', 'expired' (signed by us but older than `lifetime` seconds) or 'invalid'. */
  checkNonce(nonce: string, realm: string, lifetime: number): 'valid' | 'expired' | 'invalid' {
    const m = /^([0-9a-f]{1,12})\/([0-9a-f]{12})\/([0-9a-f]{32})$/.exec(nonce);
    if (m === null) return 'invalid';
    const [, issued = '', salt = '', macText = ''] = m;
    const mac = Buffer.from(macText);
    const want = Buffer.from(this.#sign(`${issued}/${salt}`, realm));
    if (!timingSafeEqual(mac, want)) return 'invalid';
    const age = this.#now() / 1000 - parseInt(issued, 16);
    if (age < -5) return 'invalid';
    return age > lifetime ? 'expired' : 'valid';
  }

  /** `WWW-Authenticate` values: one per algorithm, in the order given. */
  challenges(options: ChallengeOptions): string[] {
    const nonce = this.nonce(options.realm);
    return options.algorithms.map((algorithm) => {
      const params = new Map<string, string>([
        ['realm', options.realm],
        ['nonce', nonce],
        ['opaque', this.#opaque],
        ['algorithm', algorithm],
        ['qop', 'auth'],
      ]);
      if (options.stale === true) params.set('stale', 'true');
      return formatChallenge({ scheme: 'Digest', params });
    });
  }

  /** Challenges for every realm of `auths` (deduplicated), each with that auth object's algorithms. */
  challengesFor(options: VerifyOptions, stale = false): string[] {
    const out: string[] = [];
    const realms = new Set<string>();
    for (const auth of options.auths) {
      const realm = auth.realm || options.defaultRealm;
      if (realms.has(realm)) continue;
      realms.add(realm);
      out.push(...this.challenges({ realm, algorithms: algorithmsOf(auth, options.defaultAlgorithms), stale }));
    }
    return out;
  }

  /** Checks the request's `Authorization`/`Proxy-Authorization` headers against `options.auths`. */
  verify(request: SipRequest, options: VerifyOptions): VerifyResult {
    this.#prune();
    let failure: VerifyResult | undefined;
    const values = [...request.headers.lines('Authorization'), ...request.headers.lines('Proxy-Authorization')];
    for (const value of values) {
      let cred: AuthValue;
      try {
        cred = parseAuth(value);
      } catch (e) {
        if (e instanceof SipParseError) {
          failure ??= { result: 'failed', reason: 'unparseable credentials' };
          continue;
        }
        throw e;
      }
      if (cred.scheme.toLowerCase() !== 'digest') continue;
      const p = cred.params;
      const username = p.get('username') ?? '';
      const realm = p.get('realm') ?? '';
      const auth = options.auths.find((a) => a.username === username && (a.realm || options.defaultRealm) === realm);
      if (auth === undefined) {
        // Credentials for a realm we never challenged (a proxy's, another server's) are not ours to judge.
        if (!options.auths.some((a) => (a.realm || options.defaultRealm) === realm)) continue;
        failure = { result: 'failed', reason: `no auth for username '${username}'`, username };
        continue;
      }
      const result = this.#check(request, auth, realm, p, options.defaultAlgorithms);
      if (result.result === 'ok') return result;
      failure = result;
    }
    return failure ?? { result: 'missing' };
  }

  #check(request: SipRequest, auth: PjsipAuth, realm: string, p: ReadonlyMap<string, string>, defaults: readonly DigestAlgorithm[]): VerifyResult {
    const username = auth.username;
    const alg = parseAlgorithm(p.get('algorithm'));
    if (alg === undefined || alg.sess || !algorithmsOf(auth, defaults).includes(alg.algorithm)) {
      return { result: 'failed', reason: `algorithm ${p.get('algorithm') ?? 'MD5'} not offered`, username };
    }
    const nonce = p.get('nonce') ?? '';
    const response = (p.get('response') ?? '').toLowerCase();
    const uri = p.get('uri') ?? '';
    const qop = p.get('qop');
    const nc = p.get('nc');
    const cnonce = p.get('cnonce');
    if (qop !== undefined && (qop !== 'auth' || nc === undefined || !/^[0-9a-fA-F]{8}$/.test(nc) || cnonce === undefined)) {
      return { result: 'failed', reason: 'bad qop/nc/cnonce', username };
    }
    const ha1 = authHa1(auth, alg.algorithm, realm);
    if (ha1 === undefined) return { result: 'failed', reason: `auth '${auth.id}' has no credential for ${alg.algorithm}`, username };
    const expected = digestResponse({ algorithm: alg.algorithm, ha1, method: request.method, uri, nonce, qop, nc, cnonce });
    if (response.length !== expected.length || !timingSafeEqual(Buffer.from(response), Buffer.from(expected))) {
      return { result: 'failed', reason: 'wrong password', username };
    }
    const lifetime = auth.nonceLifetime > 0 ? auth.nonceLifetime : 32;
    const state = this.checkNonce(nonce, realm, lifetime);
    if (state === 'invalid') return { result: 'failed', reason: 'nonce not issued here', username };
    if (state === 'expired') return { result: 'stale' };
    if (qop !== undefined && nc !== undefined) {
      const n = parseInt(nc, 16);
      const seen = this.#seen.get(nonce);
      if (seen !== undefined && n <= seen.nc) return { result: 'failed', reason: `replayed nc ${nc}`, username };
      this.#seen.set(nonce, { nc: n, expires: this.#now() + lifetime * 1000 + 5000 });
    }
    return { result: 'ok', auth, username };
  }

  #prune(): void {
    if (this.#seen.size < 256) return;
    const now = this.#now();
    for (const [k, v] of this.#seen) if (v.expires < now) this.#seen.delete(k);
  }
}

function algorithmsOf(auth: PjsipAuth, defaults: readonly DigestAlgorithm[]): readonly DigestAlgorithm[] {
  return auth.supportedAlgorithmsUas.length > 0 ? auth.supportedAlgorithmsUas : defaults;
}

// ---------------------------------------------------------------------------------------------------------
// client

/** Per-peer client state: the `nc` already used with each nonce. */
export class DigestClientState {
  readonly #nc = new Map<string, number>();
  next(nonce: string): string {
    const n = (this.#nc.get(nonce) ?? 0) + 1;
    if (this.#nc.size > 64) this.#nc.clear();
    this.#nc.set(nonce, n);
    return n.toString(16).padStart(8, '0');
  }
}

export interface CredentialsInput {
  readonly challenge: AuthValue;
  readonly auth: PjsipAuth;
  readonly method: string;
  readonly uri: string;
  readonly state: DigestClientState;
  /** Fixed cnonce (tests); random otherwise. */
  readonly cnonce?: string;
}

/** The `Authorization` value answering one challenge, or undefined when `auth` cannot (algorithm, realm). */
export function buildCredentials(input: CredentialsInput): string | undefined {
  const c = input.challenge.params;
  const alg = parseAlgorithm(c.get('algorithm'));
  if (alg === undefined) return undefined;
  const realm = c.get('realm') ?? '';
  if (input.auth.realm !== '' && input.auth.realm !== realm) return undefined;
  const ha1 = authHa1(input.auth, alg.algorithm, realm);
  if (ha1 === undefined) return undefined;
  const nonce = c.get('nonce') ?? '';
  const qops = (c.get('qop') ?? '').split(',').map((q) => q.trim());
  const qop = qops.includes('auth') ? 'auth' : undefined;
  const cnonce = qop === undefined && !alg.sess ? undefined : (input.cnonce ?? randomBytes(8).toString('hex'));
  const nc = qop === undefined ? undefined : input.state.next(nonce);
  const response = digestResponse({ algorithm: alg.algorithm, sess: alg.sess, ha1, method: input.method, uri: input.uri, nonce, qop, nc, cnonce });
  const params = new Map<string, string>([
    ['username', input.auth.username],
    ['realm', realm],
    ['nonce', nonce],
    ['uri', input.uri],
    ['response', response],
    ['algorithm', c.get('algorithm') ?? 'MD5'],
  ]);
  const opaque = c.get('opaque');
  if (opaque !== undefined) params.set('opaque', opaque);
  if (qop !== undefined && nc !== undefined && cnonce !== undefined) {
    params.set('qop', qop);
    params.set('nc', nc);
    params.set('cnonce', cnonce);
  }
  return formatCredentials({ scheme: 'Digest', params });
}

export interface AnswerOptions {
  /** The endpoint's `outbound_auth` objects. */
  readonly auths: readonly PjsipAuth[];
  /** Algorithms allowed when an auth object does not list its own (global `default_auth_algorithms_uac`). */
  readonly defaultAlgorithms: readonly DigestAlgorithm[];
  readonly state: DigestClientState;
  readonly cnonce?: string;
}

/**
 * The request to resend after a 401/407 (RFC 3261 §22.2): same Call-ID, From, To, CSeq number + 1, a new Via
 * branch, and one credential per challenged realm. Undefined when no challenge can be answered (the caller
 * then gives the 401/407 to its user).
 */
export function answerChallenge(request: SipRequest, response: SipResponse, options: AnswerOptions): SipRequest | undefined {
  const proxy = response.status === 407;
  const challengeHeader = proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate';
  const credHeader = proxy ? 'Proxy-Authorization' : 'Authorization';
  const done = new Set<string>();
  const creds: string[] = [];
  for (const value of response.headers.lines(challengeHeader)) {
    let challenge: AuthValue;
    try {
      challenge = parseAuth(value);
    } catch (e) {
      if (e instanceof SipParseError) continue;
      throw e;
    }
    if (challenge.scheme.toLowerCase() !== 'digest') continue;
    const realm = challenge.params.get('realm') ?? '';
    if (done.has(realm)) continue;
    const alg = parseAlgorithm(challenge.params.get('algorithm'));
    if (alg === undefined) continue;
    for (const auth of options.auths) {
      const allowed = auth.supportedAlgorithmsUac.length > 0 ? auth.supportedAlgorithmsUac : options.defaultAlgorithms;
      if (!allowed.includes(alg.algorithm)) continue;
      const cred = buildCredentials({ challenge, auth, method: request.method, uri: request.uri, state: options.state, ...(options.cnonce === undefined ? {} : { cnonce: options.cnonce }) });
      if (cred !== undefined) {
        creds.push(cred);
        done.add(realm);
        break;
      }
    }
  }
  if (creds.length === 0) return undefined;
  const headers = request.headers.clone();
  headers.delete(credHeader);
  for (const cred of creds) headers.append(credHeader, cred);
  const seq = cseq(request);
  headers.set('CSeq', `${seq.seq + 1} ${seq.method}`);
  const via = topVia(request);
  via.params.set('branch', generateBranch());
  headers.removeFirst('Via');
  headers.prepend('Via', via.toString());
  return { type: 'request', method: request.method, uri: request.uri, version: request.version, headers, body: request.body };
}
