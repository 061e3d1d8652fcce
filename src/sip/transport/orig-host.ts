/**
 * What res_pjsip_nat does to every message it sends once a contact was rewritten (`rewrite_contact=yes`, or
 * any REGISTER over a WebSocket): the registrar keeps the phone's own host:port in the `x-ast-orig-host` URI
 * parameter, and that parameter never leaves the server. A response's Contact (the REGISTER 200 lists the
 * bindings) gets its original host and port back, so the phone recognises its own contact; a request's
 * Request-URI and To lose the parameter. Messages without the parameter pass untouched (and uncopied).
 */

import { SipParseError } from '../message/errors.ts';
import { formatNameAddr, parseContacts, parseNameAddr } from '../message/fields.ts';
import type { SipMessage } from '../message/message.ts';
import { formatUri, isSipUri, parseUri, type Uri } from '../message/uri.ts';

const PARAM = 'x-ast-orig-host';

export function restoreOrigHost(message: SipMessage): SipMessage {
  try {
    return restore(message);
  } catch (e) {
    if (e instanceof SipParseError) return message; // a header we did not write; leave it as it is
    throw e;
  }
}

function restore(message: SipMessage): SipMessage {
  if (message.type === 'request') {
    const to = message.headers.get('To');
    const inUri = message.uri.includes(PARAM);
    const inTo = to?.includes(PARAM) === true;
    if (!inUri && !inTo) return message;
    const headers = message.headers.clone();
    if (inTo && to !== undefined) {
      const na = parseNameAddr(to);
      headers.set('To', formatNameAddr({ ...na, uri: withoutParam(na.uri) }));
    }
    return { ...message, uri: inUri ? formatUri(withoutParam(parseUri(message.uri))) : message.uri, headers };
  }
  const contacts = message.headers.lines('Contact');
  if (!contacts.some((c) => c.includes(PARAM))) return message;
  const parsed = parseContacts(message.headers.values('Contact'));
  if (parsed === '*') return message;
  const headers = message.headers.clone();
  headers.set('Contact', parsed.map((na) => formatNameAddr({ ...na, uri: restored(na.uri) })).join(', '));
  return { ...message, headers };
}

function withoutParam(uri: Uri): Uri {
  if (!isSipUri(uri) || !uri.params.has(PARAM)) return uri;
  const params = new Map(uri.params);
  params.delete(PARAM);
  return { ...uri, params };
}

/** The URI with the host and port the phone wrote (from the parameter), the parameter removed. */
function restored(uri: Uri): Uri {
  if (!isSipUri(uri)) return uri;
  const orig = uri.params.get(PARAM);
  if (orig === undefined || orig === null) return uri;
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(orig);
  const stripped = withoutParam(uri);
  if (m === null || !isSipUri(stripped)) return stripped;
  return { ...stripped, host: (m[1] as string).replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}
