/**
 * `/ari/api-docs`: resources.json with basePath from the request's Host, every resource document, 404 for
 * unknown names and path tricks, and authentication.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { basic, parseRawResponse, rawHttp, startTestServer, type TestServer } from '../helpers/ariadne.ts';

const SPEC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/ari/spec');
const AUTH = basic('asterisk:asterisk');

describe('api-docs', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv.stop());

  it('builds the resources.json basePath from the Host header', async () => {
    const r = parseRawResponse(
      await rawHttp(srv.port, `GET /ari/api-docs/resources.json HTTP/1.1\r\nHost: example.test:9999\r\nAuthorization: ${AUTH}\r\nConnection: close\r\n\r\n`),
    );
    assert.equal(r.status, 200);
    assert.equal(r.header('Content-type'), 'application/json');
    const doc = JSON.parse(r.body) as { basePath: string; swaggerVersion: string; apis: { path: string }[] };
    assert.equal(doc.basePath, 'http://example.test:9999/ari');
    assert.equal(doc.swaggerVersion, '1.1');
    // The same resources, in the same order, as Asterisk lists them.
    assert.deepEqual(
      doc.apis.map((a) => a.path),
      ['asterisk', 'endpoints', 'channels', 'bridges', 'recordings', 'sounds', 'playbacks', 'deviceStates', 'mailboxes', 'events', 'applications'].map(
        (n) => `/api-docs/${n}.{format}`,
      ),
    );
    // Pretty, as ari.conf says.
    assert.equal(r.body, JSON.stringify(doc, null, 2));
  });

  it('uses the address the client connected to', async () => {
    const res = await srv.ari('GET', '/api-docs/resources.json');
    assert.equal(((await res.json()) as { basePath: string }).basePath, `http://127.0.0.1:${srv.port}/ari`);
  });

  it('serves every resource listed, each with its resourcePath and the same basePath', async () => {
    const index = (await (await srv.ari('GET', '/api-docs/resources.json')).json()) as { apis: { path: string }[] };
    assert.equal(index.apis.length, 11);
    for (const api of index.apis) {
      const name = /^\/api-docs\/(\w+)\.\{format\}$/.exec(api.path)?.[1];
      assert.ok(name, api.path);
      const res = await srv.ari('GET', `/api-docs/${name}.json`);
      assert.equal(res.status, 200, name);
      const doc = (await res.json()) as { basePath: string; resourcePath: string; apis: unknown[] };
      assert.equal(doc.basePath, `http://127.0.0.1:${srv.port}/ari`, name);
      assert.equal(doc.resourcePath, `/api-docs/${name}.{format}`, name);
      assert.ok(Array.isArray(doc.apis) && doc.apis.length > 0, name);
      // The served document is the spec file with only basePath replaced.
      const file = JSON.parse(fs.readFileSync(path.join(SPEC_DIR, `${name}.json`), 'utf8')) as Record<string, unknown>;
      assert.deepEqual({ ...doc, basePath: file.basePath }, file, name);
    }
  });

  it('answers 404 Resource not found for unknown documents', async () => {
    for (const p of ['/api-docs/nope.json', '/api-docs/resources', '/api-docs/channels.xml', '/api-docs/', '/api-docs', '/api-docs/spec.test.json']) {
      const res = await srv.ari('GET', p);
      assert.equal(res.status, 404, p);
      assert.deepEqual(await res.json(), { message: 'Resource not found' }, p);
    }
  });

  it('answers 404 for path traversal in every spelling', async () => {
    const targets = [
      '/ari/api-docs/..%2F..%2Fpackage.json',
      '/ari/api-docs/..%2f..%2f..%2fpackage.json',
      '/ari/api-docs/%2E%2E%2F%2E%2E%2Fpackage.json',
      '/ari/api-docs/../../package.json',
      '/ari/api-docs/../spec/channels.json',
      '/ari/api-docs/..\\..\\package.json',
      '/ari/api-docs/%2e%2e/%2e%2e/package.json',
      '/ari/api-docs/channels.json%00.txt',
      '/ari/api-docs/..%252F..%252Fpackage.json',
    ];
    for (const t of targets) {
      const raw = await rawHttp(srv.port, `GET ${t} HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nConnection: close\r\n\r\n`);
      const r = parseRawResponse(raw);
      assert.ok(r.status === 404 || r.status === 400, `${t} → ${r.status}`);
      assert.doesNotMatch(r.body, /"name"\s*:\s*"ariadne"|devDependencies/, t);
    }
    // fetch normalises `../` itself; the server still answers 404 for what arrives.
    const res = await srv.ari('GET', '/api-docs/../../package.json');
    assert.equal(res.status, 404);
    await res.arrayBuffer();
  });

  it('needs authentication', async () => {
    const res = await srv.ari('GET', '/api-docs/resources.json', { auth: null });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Basic realm="Asterisk REST Interface"');
    assert.deepEqual(await res.json(), { message: 'Authentication required' });
    const k = await srv.ari('GET', '/api-docs/resources.json?api_key=asterisk:asterisk', { auth: null });
    assert.equal(k.status, 200);
    await k.arrayBuffer();
  });

  it('is read-only: other methods get 405 with Allow, read-only users may read', async () => {
    const post = await srv.ari('POST', '/api-docs/resources.json');
    assert.equal(post.status, 405);
    assert.match(post.headers.get('allow') ?? '', /GET/);
    await post.arrayBuffer();
    const ro = await srv.ari('GET', '/api-docs/channels.json', { auth: 'readonly:readonly' });
    assert.equal(ro.status, 200);
    await ro.arrayBuffer();
  });
});
