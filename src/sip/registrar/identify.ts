/**
 * Which endpoint sent a request, the way res_pjsip's endpoint identifiers decide it, in the global
 * `endpoint_identifier_order` (default `ip,username,anonymous`):
 *
 * - `ip`: an `identify` object whose `match` networks contain the source address (and port, when given), or
 *   whose `match_header` matches a header of the request;
 * - `username`: the From URI's user (or `user@domain`) names an endpoint that has `username` in `identify_by`;
 * - `auth_username`: the username of an Authorization header belongs to an auth object that an endpoint with
 *   `auth_username` in `identify_by` lists;
 * - `request_uri`: an identify's `match_request_uri` equals the Request-URI.
 *
 * `anonymous` (or the end of the list) means nobody: the caller decides whether an anonymous request is
 * allowed (calls go to the `anonymous` endpoint when one exists, REGISTER is refused).
 */

import { networkContains, type PjsipConfig } from '../../config/pjsip.ts';
import { parseAuth } from '../message/fields.ts';
import { fromOf, type SipRequest } from '../message/message.ts';
import { isSipUri, parseUri, uriEquals } from '../message/uri.ts';

export interface IdentifySource {
  readonly address: string;
  readonly port: number;
}

export function identifyEndpoint(request: SipRequest, source: IdentifySource, config: PjsipConfig): string | undefined {
  for (const method of config.global.endpointIdentifierOrder) {
    let found: string | undefined;
    try {
      switch (method) {
        case 'ip':
          found = byIp(source, config) ?? byHeader(request, config);
          break;
        case 'header':
          found = byHeader(request, config);
          break;
        case 'username':
          found = byUsername(request, config);
          break;
        case 'auth_username':
          found = byAuthUsername(request, config);
          break;
        case 'request_uri':
          found = byRequestUri(request, config);
          break;
        case 'anonymous':
          return undefined;
      }
    } catch {
      found = undefined; // a header we needed was malformed: this identifier cannot say
    }
    if (found !== undefined && config.endpoint.has(found)) return found;
  }
  return undefined;
}

function byIp(source: IdentifySource, config: PjsipConfig): string | undefined {
  for (const id of config.identify.values()) {
    if (id.match.some((n) => (n.negated ? false : networkContains(n, source.address, source.port)))) return id.endpoint;
  }
  return undefined;
}

function byHeader(request: SipRequest, config: PjsipConfig): string | undefined {
  for (const id of config.identify.values()) {
    const m = id.matchHeader;
    if (m === undefined) continue;
    for (const value of request.headers.lines(m.name)) {
      const hit = m.regex ? new RegExp(m.value).test(value) : value.trim() === m.value.trim();
      if (hit) return id.endpoint;
    }
  }
  return undefined;
}

function byUsername(request: SipRequest, config: PjsipConfig): string | undefined {
  const uri = fromOf(request).uri;
  if (!isSipUri(uri) || uri.user === undefined) return undefined;
  for (const name of [`${uri.user}@${uri.host}`, uri.user]) {
    const ep = config.endpoint.get(name);
    if (ep !== undefined && ep.identifyBy.includes('username')) return name;
  }
  return undefined;
}

function byAuthUsername(request: SipRequest, config: PjsipConfig): string | undefined {
  const value = request.headers.get('Authorization') ?? request.headers.get('Proxy-Authorization');
  if (value === undefined) return undefined;
  const username = parseAuth(value).params.get('username');
  if (username === undefined) return undefined;
  for (const ep of config.endpoint.values()) {
    if (!ep.identifyBy.includes('auth_username')) continue;
    if (ep.auth.some((a) => config.auth.get(a)?.username === username)) return ep.id;
  }
  return undefined;
}

function byRequestUri(request: SipRequest, config: PjsipConfig): string | undefined {
  const ruri = parseUri(request.uri);
  for (const id of config.identify.values()) {
    if (id.matchRequestUri === '') continue;
    try {
      if (uriEquals(parseUri(id.matchRequestUri), ruri)) return id.endpoint;
    } catch {
      // a match_request_uri that is not a URI matches nothing
    }
  }
  return undefined;
}
