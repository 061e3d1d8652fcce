/**
 * TLS beside plain HTTP: a self-signed certificate made with openssl at test time, both listeners serving,
 * api-docs basePath with `https://` on the TLS listener, and the events WebSocket over `wss://`.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { WebSocket } from 'ws';
import { basic, httpConf, startTestServer, type TestServer } from '../helpers/ariadne.ts';

function httpsGet(port: number, target: string, ca: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path: target, method: 'GET', ca, headers: { authorization: basic('asterisk:asterisk'), ...headers }, timeout: 3000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('TLS listener', () => {
  let srv: TestServer;
  let certDir: string;
  let ca: Buffer;
  let tlsPort: number;

  before(async () => {
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-cert-'));
    const cert = path.join(certDir, 'cert.pem');
    const key = path.join(certDir, 'key.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
      { stdio: 'ignore' },
    );
    ca = fs.readFileSync(cert);
    srv = await startTestServer({
      files: { 'http.conf': httpConf(`session_inactivity = 800\ntlsenable = yes\ntlsbindaddr = 127.0.0.1:8089\ntlscertfile = ${cert}\ntlsprivatekey = ${key}`) },
      start: { tlsPortOverride: 0 },
    });
    tlsPort = srv.ariadne.http.bound().tls?.port ?? 0;
  });
  after(async () => {
    await srv.stop();
    fs.rmSync(certDir, { recursive: true, force: true });
  });

  it('binds both listeners', () => {
    const b = srv.ariadne.http.bound();
    assert.equal(b.plain?.address, '127.0.0.1');
    assert.equal(b.tls?.address, '127.0.0.1');
    assert.ok(tlsPort > 0 && tlsPort !== srv.port);
  });

  it('serves ARI over https (certificate verified against the test CA) and over plain http', async () => {
    const r = await httpsGet(tlsPort, '/ari/asterisk/ping', ca);
    assert.equal(r.status, 200);
    assert.equal(r.headers.server, 'Asterisk/22.10.1');
    assert.equal((JSON.parse(r.body) as { ping: string }).ping, 'pong');
    const plain = await srv.ari('GET', '/asterisk/ping');
    assert.equal(plain.status, 200);
  });

  it('rejects https requests without credentials with 401', async () => {
    const r = await httpsGet(tlsPort, '/ari/asterisk/ping', ca, { authorization: '' });
    assert.equal(r.status, 401);
    assert.equal(r.headers['www-authenticate'], 'Basic realm="Asterisk REST Interface"');
  });

  it('builds the api-docs basePath with https on the TLS listener and http on the plain one', async () => {
    const r = await httpsGet(tlsPort, '/ari/api-docs/resources.json', ca);
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as { basePath: string }).basePath, `https://127.0.0.1:${tlsPort}/ari`);
    const ch = await httpsGet(tlsPort, '/ari/api-docs/channels.json', ca);
    assert.equal((JSON.parse(ch.body) as { basePath: string }).basePath, `https://127.0.0.1:${tlsPort}/ari`);
    const plain = await srv.ari('GET', '/api-docs/resources.json');
    assert.equal(((await plain.json()) as { basePath: string }).basePath, `http://127.0.0.1:${srv.port}/ari`);
  });

  it('opens the events WebSocket over wss and answers REST over it', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${tlsPort}/ari/events?app=tls-app&api_key=asterisk:asterisk`, { ca });
    const messages: Record<string, unknown>[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.on('message', (d) => messages.push(JSON.parse(String(d)) as Record<string, unknown>));
      const app = await httpsGet(tlsPort, '/ari/applications/tls-app', ca);
      assert.equal(app.status, 200);
      ws.send(JSON.stringify({ type: 'RESTRequest', transaction_id: 't', request_id: 'r', method: 'GET', uri: 'api-docs/resources.json' }));
      const deadline = Date.now() + 3000;
      while (!messages.some((m) => m.type === 'RESTResponse') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const resp = messages.find((m) => m.type === 'RESTResponse');
      assert.ok(resp, 'RESTResponse received');
      assert.equal(resp.status_code, 200);
      assert.equal((JSON.parse(String(resp.message_body)) as { basePath: string }).basePath, `https://127.0.0.1:${tlsPort}/ari`);
    } finally {
      await new Promise<void>((resolve) => {
        if (ws.readyState === ws.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
      });
    }
  });

  it('closes a TCP connection to the TLS port that never starts a handshake after session_inactivity', async () => {
    const net = await import('node:net');
    const r = await new Promise<{ closed: boolean; ms: number }>((resolve) => {
      const t0 = Date.now();
      const sock = net.connect(tlsPort, '127.0.0.1');
      const timer = setTimeout(() => {
        sock.destroy();
        resolve({ closed: false, ms: Date.now() - t0 });
      }, 4000);
      sock.on('error', () => {});
      sock.on('close', () => {
        clearTimeout(timer);
        resolve({ closed: true, ms: Date.now() - t0 });
      });
    });
    assert.ok(r.closed, 'server closed the silent connection');
    assert.ok(r.ms >= 500 && r.ms < 3000, `closed after ${r.ms} ms`);
  });

  it('refuses a TLS handshake against an untrusted certificate on the client side (sanity: it is TLS)', async () => {
    await assert.rejects(
      new Promise((resolve, reject) => {
        const req = https.request({ host: '127.0.0.1', port: tlsPort, path: '/ari/asterisk/ping', timeout: 3000 }, resolve);
        req.on('error', reject);
        req.end();
      }),
      /self[- ]signed|unable to verify|certificate/i,
    );
  });
});

describe('TLS shutdown', () => {
  it('stops promptly while a client holds a TCP connection to the TLS port without a handshake', async () => {
    const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-cert-'));
    const cert = path.join(certDir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', cert, '-out', cert], {
      stdio: 'ignore',
    });
    // Key and certificate in one file (no tlsprivatekey), as Asterisk's asterisk.pem.
    const srv = await startTestServer({ files: { 'http.conf': httpConf(`tlsenable = yes\ntlscertfile = ${cert}`) }, start: { tlsPortOverride: 0 } });
    const net = await import('node:net');
    const tlsPort = srv.ariadne.http.bound().tls?.port ?? 0;
    const sock = net.connect(tlsPort, '127.0.0.1');
    sock.on('error', () => {});
    try {
      await new Promise((r) => sock.once('connect', r));
      const t0 = Date.now();
      await srv.stop();
      assert.ok(Date.now() - t0 < 2000, `stop took ${Date.now() - t0} ms`);
    } finally {
      sock.destroy();
      fs.rmSync(certDir, { recursive: true, force: true });
    }
  });
});
