/**
 * Request rules over real sockets: types and enums validated (400 naming the parameter, before the handler runs),
 * unknown parameters, bad JSON, non-object bodies, oversized bodies (413, and the server keeps serving),
 * (Every ARI operation is served now, so none answers 501 any more; the dispatcher's 501 for an operation
 * without a handler is no longer reachable over the wire.)
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { basic, parseRawResponse, startTestServer, type TestServer } from '../helpers/ariadne.ts';

const AUTH = basic('asterisk:asterisk');

/** Sends a request head and a body of `size` bytes in chunks; resolves with what the server answered. */
function sendLargeBody(port: number, head: string, size: number, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let out = '';
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(out);
    };
    const timer = setTimeout(finish, timeoutMs);
    sock.on('data', (d) => {
      out += d.toString('latin1');
      // One complete response is all we want.
      try {
        const r = parseRawResponse(out);
        if (r.body.length >= Number(r.header('content-length') ?? 0)) finish();
      } catch {
        // head not complete yet
      }
    });
    sock.on('error', () => finish());
    sock.on('close', () => finish());
    sock.on('connect', () => {
      sock.write(head);
      const chunk = Buffer.alloc(64 * 1024, 'a');
      let sent = 0;
      const pump = () => {
        while (sent < size && !done) {
          sent += chunk.length;
          if (!sock.write(chunk)) {
            sock.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
  });
}

describe('request parameters and bodies', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv.stop());

  async function call(method: string, p: string, init?: Parameters<TestServer['ari']>[2]): Promise<{ status: number; message?: string }> {
    const res = await srv.ari(method, p, init);
    const text = await res.text();
    const body = text ? (JSON.parse(text) as { message?: string }) : {};
    return body.message === undefined ? { status: res.status } : { status: res.status, message: body.message };
  }

  it('answers 400 naming the parameter for a bad integer, even where the operation is not implemented yet', async () => {
    const r = await call('POST', '/channels/x/dtmf?dtmf=1&duration=abc');
    assert.equal(r.status, 400);
    assert.match(r.message ?? '', /\bduration\b/);
    for (const bad of ['1.5', '1e3', '', '0x10', '99999999999999999999']) {
      const x = await call('POST', `/channels/x/dtmf?dtmf=1&between=${encodeURIComponent(bad)}`);
      assert.equal(x.status, 400, `between=${bad}`);
      assert.match(x.message ?? '', /\bbetween\b/);
    }
    // Below the declared minimum.
    const range = await call('POST', '/channels/x/record?name=n&format=wav&maxDurationSeconds=-1');
    assert.equal(range.status, 400);
    assert.match(range.message ?? '', /maxDurationSeconds/);
    // A JSON number of the wrong kind.
    const jsonBad = await call('POST', '/channels/x/dtmf', { body: { dtmf: '1', duration: 'abc' } });
    assert.equal(jsonBad.status, 400);
    assert.match(jsonBad.message ?? '', /\bduration\b/);
    // Valid values pass validation and reach the operation, which looks the channel up.
    assert.deepEqual(await call('POST', '/channels/x/dtmf?dtmf=1&duration=100'), { status: 404, message: 'Channel not found' });
    assert.deepEqual(await call('POST', '/channels/x/dtmf', { body: { dtmf: '1', duration: 100 } }), { status: 404, message: 'Channel not found' });
  });

  it('answers 400 naming the parameter for a bad enum value', async () => {
    const r = await call('POST', '/channels/x/mute?direction=sideways');
    assert.equal(r.status, 400);
    assert.match(r.message ?? '', /direction/);
    const info = await call('GET', '/asterisk/info?only=build,nope');
    assert.equal(info.status, 400);
    assert.match(info.message ?? '', /\bonly\b/);
    const ok = await call('POST', '/channels/x/mute?direction=both');
    assert.equal(ok.status, 404);
  });

  it('answers 400 naming the parameter for a bad boolean', async () => {
    const r = await call('POST', '/channels/x/variable?variable=a&report_events=maybe');
    assert.equal(r.status, 400);
    assert.match(r.message ?? '', /report_events/);
    for (const good of ['true', 'false', 'yes', 'no', '1', '0']) {
      assert.equal((await call('POST', `/channels/x/variable?variable=a&report_events=${good}`)).status, 404, good);
    }
  });

  it('answers 400 for a missing required parameter', async () => {
    const r = await call('POST', '/channels/x/variable');
    assert.equal(r.status, 400);
    assert.match(r.message ?? '', /\b[vV]ariable\b/);
  });

  it('answers 400 for an unknown query, form or JSON parameter', async () => {
    const q = await call('GET', '/asterisk/ping?foo=1');
    assert.equal(q.status, 400);
    assert.match(q.message ?? '', /\bfoo\b/);
    const form = await call('POST', '/asterisk/variable', {
      body: 'variable=A&bogus=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.status, 400);
    assert.match(form.message ?? '', /bogus/);
    const json = await call('POST', '/asterisk/variable', { body: { variable: 'A', valeu: 'typo' } });
    assert.equal(json.status, 400);
    assert.match(json.message ?? '', /valeu/);
    // api_key is always allowed.
    assert.equal((await call('GET', '/asterisk/ping?api_key=asterisk:asterisk')).status, 200);
  });

  it('answers 400 Error parsing request body for malformed JSON', async () => {
    for (const body of ['{not json', '{"variable": "A",}', '{"variable"', '\u0000']) {
      const r = await call('POST', '/asterisk/variable', { body, headers: { 'content-type': 'application/json' } });
      assert.deepEqual(r, { status: 400, message: 'Error parsing request body' }, JSON.stringify(body));
    }
    // Same with a content type that is not JSON at all.
    const plain = await call('POST', '/asterisk/variable?variable=A', { body: '{oops', headers: { 'content-type': 'text/plain' } });
    assert.equal(plain.status, 400);
  });

  it('answers 400 for a JSON body that is not an object', async () => {
    for (const body of ['["variable","A"]', '"A"', '42', 'true']) {
      const r = await call('POST', '/asterisk/variable?variable=A', { body, headers: { 'content-type': 'application/json' } });
      assert.equal(r.status, 400, body);
      assert.equal(typeof r.message, 'string');
    }
    // An object where a string belongs.
    const obj = await call('POST', '/asterisk/variable', { body: { variable: { a: 1 } } });
    assert.equal(obj.status, 400);
    assert.match(obj.message ?? '', /variable/);
  });

  it('answers 413 for a 10 MB body and keeps serving', async () => {
    const size = 10 * 1024 * 1024;
    const raw = await sendLargeBody(
      srv.port,
      `POST /ari/asterisk/variable?variable=BIG HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`,
      size,
    );
    const r = parseRawResponse(raw);
    assert.equal(r.status, 413);
    assert.equal(r.header('Content-type'), 'application/json');
    assert.equal(typeof (JSON.parse(r.body) as { message: unknown }).message, 'string');
    // Chunked, without a Content-Length.
    const chunked = await new Promise<string>((resolve) => {
      const sock = net.connect(srv.port, '127.0.0.1');
      let out = '';
      const timer = setTimeout(() => {
        sock.destroy();
        resolve(out);
      }, 5000);
      sock.on('data', (d) => {
        out += d.toString('latin1');
        if (/\r\n\r\n[\s\S]*\}/.test(out)) {
          clearTimeout(timer);
          sock.destroy();
          resolve(out);
        }
      });
      sock.on('error', () => {});
      sock.on('close', () => {
        clearTimeout(timer);
        resolve(out);
      });
      sock.write(`POST /ari/asterisk/variable?variable=BIG HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
      const chunk = 'a'.repeat(256 * 1024);
      let n = 0;
      const pump = () => {
        while (n < 40 && !sock.destroyed) {
          n++;
          if (!sock.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`)) {
            sock.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    assert.equal(parseRawResponse(chunked).status, 413);
    // The server is fine, and the variable was never set.
    const v = await srv.ari('GET', '/asterisk/variable?variable=BIG');
    assert.deepEqual(await v.json(), { value: '' });
  });

  it('accepts a body just under the limit', async () => {
    const value = 'v'.repeat(512 * 1024);
    const res = await srv.ari('POST', '/asterisk/variable', { body: { variable: 'MID', value } });
    assert.equal(res.status, 204);
    const v = await srv.ari('GET', '/asterisk/variable?variable=MID');
    assert.equal(((await v.json()) as { value: string }).value.length, value.length);
  });

  it('decodes percent-encoded path parameters', async () => {
    const res = await srv.ari('GET', '/asterisk/modules/res%5Fari.so');
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { name: string }).name, 'res_ari.so');
    const bad = await srv.ari('GET', '/asterisk/modules/%E0%A4%A');
    assert.ok(bad.status === 400 || bad.status === 404, String(bad.status));
    await bad.arrayBuffer();
  });
});
