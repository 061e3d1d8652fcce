import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadHttpConf, splitHostPort } from './http-conf.ts';
import { formatDiagnostic } from './parser.ts';
import { REFERENCE_CONFIG_DIR } from '../../test/helpers/reference.ts';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const REFERENCE = REFERENCE_CONFIG_DIR;

/** The http.conf from the ARI setup guide (the seed), verbatim. */
const SEED_HTTP_CONF = `[general]
servername = Asterisk
enabled = yes
bindaddr = 0.0.0.0
bindport = 8088
; TLS for production use:
; tlsenable = yes
; tlsbindaddr = 0.0.0.0:8089
; tlscertfile = /etc/asterisk/keys/asterisk.pem
; tlsprivatekey = /etc/asterisk/keys/asterisk.key
`;

function withHttpConf(text: string | undefined, run: (dir: string, file: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-http-conf-'));
  try {
    const file = path.join(dir, 'http.conf');
    if (text !== undefined) {
      fs.writeFileSync(file, text);
    }
    run(dir, file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("the project's configs/http.conf loads cleanly", () => {
  const { value, diagnostics } = loadHttpConf(path.join(REPO, 'configs'));
  assert.deepEqual(diagnostics, []);
  assert.equal(value.enabled, true);
  assert.equal(value.bindaddr, '127.0.0.1');
  assert.equal(value.bindport, 8088);
  assert.equal(value.servername, 'Asterisk');
  assert.equal(value.tls.enabled, false);
});

test("the seed's http.conf loads cleanly", () => {
  withHttpConf(SEED_HTTP_CONF, (dir) => {
    const { value, diagnostics } = loadHttpConf(dir);
    assert.deepEqual(diagnostics, []);
    assert.equal(value.bindaddr, '0.0.0.0');
    assert.equal(value.tls.bindaddr, '0.0.0.0');
    assert.equal(value.tls.bindport, 8089);
  });
});

test("the Asterisk reference http.conf: Asterisk's defaults fill the rest", () => {
  const { value, diagnostics } = loadHttpConf(REFERENCE);
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(value, {
    enabled: true,
    bindaddr: '127.0.0.1',
    bindport: 8088,
    prefix: '',
    servername: 'Asterisk/22.10.1',
    sessionlimit: 100,
    sessionInactivityMs: 30000,
    sessionKeepAliveMs: 15000,
    tls: {
      enabled: false,
      bindaddr: '127.0.0.1',
      bindport: 8089,
      certfile: path.join(REFERENCE, 'asterisk.pem'),
      privatekey: path.join(REFERENCE, 'asterisk.pem'),
      cipher: '',
      cafile: '',
    },
    redirects: [],
  });
});

test('a missing http.conf: HTTP disabled, with a warning', () => {
  withHttpConf(undefined, (dir, file) => {
    const { value, diagnostics } = loadHttpConf(dir);
    assert.equal(value.enabled, false);
    assert.equal(diagnostics.length, 1);
    assert.equal(diagnostics[0]?.level, 'warning');
    assert.equal(diagnostics[0]?.file, file);
    assert.match(diagnostics[0]?.message ?? '', /http\.conf not found/);
  });
});

test('every option is read: prefix without slashes, empty servername, sessions, TLS, redirects', () => {
  withHttpConf([
    '[general]',
    'enabled = on',
    'bindaddr = [::1]',
    'bindport = 8090',
    'prefix = /asterisk/',
    'servername =',
    'sessionlimit = 5',
    'session_inactivity = 1000',
    'session_keep_alive = 0',
    'enable_static = yes',
    'enable_status = no',
    'tlsenable = yes',
    'tlsbindaddr = [::1]:8443',
    'tlscertfile = keys/cert.pem',
    'tlscipher = HIGH',
    'tlscafile = /etc/ssl/ca.pem',
    'tlsdontverifyserver = yes',
    'tlsclientmethod = tlsv1',
    'redirect = / /static/index.html',
    'redirect = /old   /new',
    '[post_mappings]',
    'uploads = /var/lib/asterisk/uploads/',
  ].join('\n'), (dir) => {
    const { value, diagnostics } = loadHttpConf(dir);
    assert.deepEqual(diagnostics, []);
    assert.equal(value.enabled, true);
    assert.equal(value.bindaddr, '::1');
    assert.equal(value.bindport, 8090);
    assert.equal(value.prefix, 'asterisk');
    assert.equal(value.servername, '');
    assert.equal(value.sessionlimit, 5);
    assert.equal(value.sessionInactivityMs, 1000);
    assert.equal(value.sessionKeepAliveMs, 0);
    assert.deepEqual(value.tls, {
      enabled: true,
      bindaddr: '::1',
      bindport: 8443,
      certfile: path.join(dir, 'keys', 'cert.pem'),
      privatekey: path.join(dir, 'keys', 'cert.pem'),
      cipher: 'HIGH',
      cafile: '/etc/ssl/ca.pem',
    });
    assert.deepEqual(value.redirects, [
      { from: '/', to: '/static/index.html' },
      { from: '/old', to: '/new' },
    ]);
  });
});

test('tlsbindaddr without a port uses 8089; Asterisk ssl* aliases work', () => {
  withHttpConf('[general]\nenabled=yes\nbindaddr=127.0.0.1\nsslenable=yes\nsslbindaddr=0.0.0.0\nsslcert=/k/c.pem\nsslprivatekey=/k/k.pem\n', (dir) => {
    const { value, diagnostics } = loadHttpConf(dir);
    assert.deepEqual(diagnostics, []);
    assert.equal(value.tls.enabled, true);
    assert.equal(value.tls.bindaddr, '0.0.0.0');
    assert.equal(value.tls.bindport, 8089);
    assert.equal(value.tls.certfile, '/k/c.pem');
    assert.equal(value.tls.privatekey, '/k/k.pem');
  });
});

test('invalid values: errors name file:line, the value and the accepted values; defaults are used', () => {
  withHttpConf([
    '[general]',
    'enabled = maybe', // 2
    'bindaddr = 127.0.0.1',
    'bindport = abc', // 4
    'sessionlimit = 0', // 5
    'tlsbindaddr = not-an-ip:99', // 6
    'redirect = /lonely', // 7
    'session_keep_alive = -5', // 8
  ].join('\n'), (dir, file) => {
    const { value, diagnostics } = loadHttpConf(dir);
    assert.deepEqual(diagnostics.map((d) => [d.level, d.line]), [['error', 2], ['error', 4], ['error', 5], ['error', 6], ['error', 7], ['error', 8]]);
    assert.equal(formatDiagnostic(diagnostics[0]!),
      `${file}:2: error: invalid value 'maybe' for 'enabled': expected yes/no (also true/false, on/off, 1/0); using the default no`);
    assert.equal(formatDiagnostic(diagnostics[1]!),
      `${file}:4: error: invalid value 'abc' for 'bindport': expected an integer from 0 to 65535; using the default 8088`);
    assert.match(diagnostics[3]!.message, /'not-an-ip:99' for 'tlsbindaddr': expected an IP address/);
    assert.match(diagnostics[4]!.message, /expected 'redirect = \/from \/to'/);
    assert.equal(value.enabled, false);
    assert.equal(value.bindport, 8088);
    assert.equal(value.sessionlimit, 100);
    assert.equal(value.sessionKeepAliveMs, 15000);
    assert.equal(value.tls.bindaddr, '127.0.0.1');
    assert.deepEqual(value.redirects, []);
  });
});

test('no bindaddr while enabled: binds 127.0.0.1 and warns; a port in bindaddr warns', () => {
  withHttpConf('[general]\nenabled = yes\n', (dir) => {
    const { value, diagnostics } = loadHttpConf(dir);
    assert.equal(value.bindaddr, '127.0.0.1');
    assert.deepEqual(diagnostics.map((d) => [d.level, d.line]), [['warning', 1]]);
    assert.match(diagnostics[0]!.message, /no bindaddr/);
  });
  withHttpConf('[general]\nenabled = no\n', (dir) => {
    assert.deepEqual(loadHttpConf(dir).diagnostics, []);
  });
  withHttpConf('[general]\nbindaddr = 10.1.2.3:9000\n', (dir) => {
    const { value, diagnostics } = loadHttpConf(dir);
    assert.equal(value.bindaddr, '10.1.2.3');
    assert.match(diagnostics[0]!.message, /set bindport instead/);
  });
});

test('unknown options and sections warn; URI restrictions warn that they are not enforced', () => {
  withHttpConf('[general]\nfrobnicate = 1\n[/ari]\ntype = restriction\ndeny = 0.0.0.0/0\n[stuff]\na = 1\n', (dir, file) => {
    const { diagnostics } = loadHttpConf(dir);
    assert.deepEqual(diagnostics.map((d) => [d.level, d.line]), [['warning', 2], ['warning', 3], ['warning', 6]]);
    assert.equal(formatDiagnostic(diagnostics[0]!), `${file}:2: warning: unknown option 'frobnicate' in [general] of http.conf; ignored`);
    assert.match(diagnostics[1]!.message, /\[\/ari\].*not enforced/);
  });
});

test('splitHostPort handles IPv4, IPv6 and brackets', () => {
  assert.deepEqual(splitHostPort('0.0.0.0:8089'), { host: '0.0.0.0', port: '8089' });
  assert.deepEqual(splitHostPort('0.0.0.0'), { host: '0.0.0.0', port: undefined });
  assert.deepEqual(splitHostPort('[::1]:8089'), { host: '::1', port: '8089' });
  assert.deepEqual(splitHostPort('[::]'), { host: '::', port: undefined });
  assert.deepEqual(splitHostPort('fe80::1'), { host: 'fe80::1', port: undefined });
  assert.equal(splitHostPort('[::1'), undefined);
});

test('the loaded value is deep-frozen', () => {
  const { value } = loadHttpConf(path.join(REPO, 'configs'));
  assert.throws(() => {
    (value as { bindport: number }).bindport = 1;
  }, TypeError);
  assert.throws(() => {
    (value.tls as { enabled: boolean }).enabled = true;
  }, TypeError);
  assert.throws(() => {
    (value.redirects as unknown as unknown[]).push({ from: '/', to: '/x' });
  }, TypeError);
});
