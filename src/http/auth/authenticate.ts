/**
 * Who is asking: HTTP Basic credentials or the `api_key=user:password` query parameter, checked against the
 * users of ari.conf (`password_format` plain or crypt), then the user's permit/deny ACL.
 *
 * Comparisons are timing-safe: plain passwords are compared as SHA-256 digests (equal length whatever the
 * input), unknown users cost the same as known ones, and crypt hashes are verified by `verifyCrypt`. A
 * successful crypt verification is cached per user (keyed by a digest of the password) because SHA-512-crypt
 * costs milliseconds and an application sends thousands of requests; the cache is dropped on reload.
 *
 * `authenticateRequest` also remembers which raw `Authorization` headers or `api_key` values were accepted
 * (bounded, dropped on reload), so a client's repeated requests skip decoding and hashing: that was a tenth of
 * the CPU of a simple GET. Refused credentials are never remembered, and the ACL is checked every time.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import type { AriUser } from '../../config/types.ts';
import { verifyCrypt } from './crypt.ts';
import { aclAllows, compileAcl, type Acl } from './acl.ts';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export type AuthResult =
  | { readonly ok: true; readonly user: AriUser }
  | { readonly ok: false; readonly status: 401 | 403; readonly message: string };

/** Extracts credentials: `api_key` wins over `Authorization: Basic`. Malformed input yields undefined. */
export function credentialsFrom(authorization: string | undefined, apiKey: string | undefined): Credentials | undefined {
  if (apiKey !== undefined) return splitPair(apiKey);
  if (!authorization) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(authorization);
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  // Node's decoder skips junk silently; reject input that does not round-trip to catch invalid base64.
  if (Buffer.from(decoded, 'utf8').toString('base64').replace(/=+$/, '') !== m[1].replace(/=+$/, '')) return undefined;
  return splitPair(decoded);
}

function splitPair(s: string): Credentials | undefined {
  const i = s.indexOf(':');
  if (i <= 0) return undefined;
  return { username: s.slice(0, i), password: s.slice(i + 1) };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

const DUMMY = digest('ariadne-no-such-user');

/** How many accepted credential strings are remembered. */
const MEMO_LIMIT = 1024;

export class Authenticator {
  readonly #users: ReadonlyMap<string, AriUser>;
  readonly #memo = new Map<string, AriUser>();
  readonly #acls = new Map<string, Acl>();
  readonly #cryptOk = new Map<string, Set<string>>();

  constructor(users: ReadonlyMap<string, AriUser>) {
    this.#users = users;
    for (const [name, user] of users) if (user.acl.length) this.#acls.set(name, compileAcl(user.acl));
  }

  /** Checks a request's raw `Authorization` header or `api_key` value (api_key wins) and its address. */
  authenticateRequest(authorization: string | undefined, apiKey: string | undefined, remoteAddress: string): AuthResult {
    const key = apiKey !== undefined ? `k${apiKey}` : authorization !== undefined ? `b${authorization}` : undefined;
    const known = key === undefined ? undefined : this.#memo.get(key);
    if (known) return this.#checkAcl(known, remoteAddress);
    const result = this.authenticate(credentialsFrom(authorization, apiKey), remoteAddress);
    if (result.ok && key !== undefined) {
      if (this.#memo.size >= MEMO_LIMIT) this.#memo.clear();
      this.#memo.set(key, result.user);
    }
    return result;
  }

  #checkAcl(user: AriUser, remoteAddress: string): AuthResult {
    const acl = this.#acls.get(user.name);
    if (acl && !aclAllows(acl, remoteAddress)) return { ok: false, status: 403, message: 'Forbidden' };
    return { ok: true, user };
  }

  /** Checks credentials and the caller's address. */
  authenticate(creds: Credentials | undefined, remoteAddress: string): AuthResult {
    const denied = { ok: false, status: 401, message: 'Authentication required' } as const;
    if (!creds || creds.password === '') return denied;
    const user = this.#users.get(creds.username);
    if (!user) {
      timingSafeEqual(DUMMY, digest(creds.password));
      return denied;
    }
    if (!this.#passwordMatches(user, creds.password)) return denied;
    return this.#checkAcl(user, remoteAddress);
  }

  #passwordMatches(user: AriUser, password: string): boolean {
    if (user.passwordFormat === 'plain') return timingSafeEqual(digest(user.password), digest(password));
    const key = digest(password).toString('base64');
    const cached = this.#cryptOk.get(user.name);
    if (cached?.has(key)) return true;
    if (!verifyCrypt(password, user.password)) return false;
    if (cached) {
      if (cached.size > 16) cached.clear();
      cached.add(key);
    } else this.#cryptOk.set(user.name, new Set([key]));
    return true;
  }
}
