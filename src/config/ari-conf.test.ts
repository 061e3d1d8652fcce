import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadAriConf } from './ari-conf.ts';
import { formatDiagnostic } from './parser.ts';
import { REFERENCE_CONFIG_DIR } from '../../test/helpers/reference.ts';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const REFERENCE = REFERENCE_CONFIG_DIR;

/** The ari.conf from the ARI setup guide (the seed), verbatim. */
const SEED_ARI_CONF = `[general]
enabled = yes
pretty = yes
allowed_origins = *

[asterisk]
type = user
read_only = no
password = change_me_to_a_strong_password
password_format = plain
allowed_origins = *
`;

function withAriConf(text: string | undefined, run: (dir: string, file: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-ari-conf-'));
  try {
    const file = path.join(dir, 'ari.conf');
    if (text !== undefined) {
      fs.writeFileSync(file, text);
    }
    run(dir, file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("the seed's ari.conf loads with no errors: allowed_origins in the user section only warns", () => {
  withAriConf(SEED_ARI_CONF, (dir, file) => {
    const { value, diagnostics } = loadAriConf(dir);
    assert.deepEqual(diagnostics.map((d) => [d.level, d.line]), [['warning', 11]]);
    assert.equal(formatDiagnostic(diagnostics[0]!),
      `${file}:11: warning: 'allowed_origins' has no effect in user section [asterisk]; it only applies in [general]`);
    assert.equal(value.enabled, true);
    assert.equal(value.pretty, true);
    assert.deepEqual(value.allowedOrigins, ['*']);
    assert.equal(value.authRealm, 'Asterisk REST Interface');
    assert.equal(value.websocketWriteTimeoutMs, 100);
    assert.deepEqual([...value.users.keys()], ['asterisk']);
    assert.deepEqual(value.users.get('asterisk'), {
      name: 'asterisk',
      readOnly: false,
      password: 'change_me_to_a_strong_password',
      passwordFormat: 'plain',
      acl: [],
      aclNames: [],
    });
  });
});

test("the project's configs/ari.conf is the seed's, byte for byte", () => {
  assert.equal(fs.readFileSync(path.join(REPO, 'configs', 'ari.conf'), 'utf8'), SEED_ARI_CONF);
  const { value, diagnostics } = loadAriConf(path.join(REPO, 'configs'));
  assert.equal(diagnostics.filter((d) => d.level === 'error').length, 0);
  assert.equal(value.users.get('asterisk')?.password, 'change_me_to_a_strong_password');
});

test('the Asterisk reference ari.conf: two users, one read-only', () => {
  const { value, diagnostics } = loadAriConf(REFERENCE);
  assert.deepEqual(diagnostics, []);
  assert.equal(value.pretty, true);
  assert.equal(value.users.size, 2);
  assert.equal(value.users.get('asterisk')?.readOnly, false);
  assert.equal(value.users.get('readonly')?.readOnly, true);
  assert.equal(value.users.get('readonly')?.password, 'readonly');
});

test('a missing ari.conf: enabled, no users, a warning', () => {
  withAriConf(undefined, (dir, file) => {
    const { value, diagnostics } = loadAriConf(dir);
    assert.equal(value.enabled, true);
    assert.equal(value.pretty, false);
    assert.equal(value.users.size, 0);
    assert.deepEqual(diagnostics.map((d) => [d.level, d.file]), [['warning', file]]);
  });
});

test('general options: lists are trimmed, timeouts and realm read', () => {
  withAriConf([
    '[general]',
    'type = general',
    'enabled = no',
    'pretty = false',
    'auth_realm = My Realm',
    'allowed_origins = http://a.example , https://b.example,,',
    'websocket_write_timeout = 250',
    'channelvars = FOO, BAR ,BAZ',
  ].join('\n'), (dir) => {
    const { value, diagnostics } = loadAriConf(dir);
    assert.deepEqual(diagnostics, []);
    assert.equal(value.enabled, false);
    assert.equal(value.pretty, false);
    assert.equal(value.authRealm, 'My Realm');
    assert.deepEqual(value.allowedOrigins, ['http://a.example', 'https://b.example']);
    assert.equal(value.websocketWriteTimeoutMs, 250);
    assert.deepEqual(value.channelvars, ['FOO', 'BAR', 'BAZ']);
  });
});

test('users: templates, crypt passwords, permit/deny in order (comma lists, ! inverts), named acls', () => {
  withAriConf([
    '[general]',
    '[user-defaults](!)',
    'type = user',
    'read_only = yes',
    'deny = 0.0.0.0/0.0.0.0',
    '[ops](user-defaults)',
    'password = $6$salt$hash',
    'password_format = CRYPT',
    'permit = 127.0.0.1, 10.0.0.0/8',
    'deny = !192.168.1.0/24',
    'permit = [::1]/128',
    'acl = office, lab',
    'permit = ::ffff:172.16.0.0/255.240.0.0',
  ].join('\n'), (dir) => {
    const { value, diagnostics } = loadAriConf(dir);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual([...value.users.keys()], ['ops'], 'the template itself is not a user');
    assert.deepEqual(value.users.get('ops'), {
      name: 'ops',
      readOnly: true,
      password: '$6$salt$hash',
      passwordFormat: 'crypt',
      acl: [
        { action: 'deny', network: '0.0.0.0/0.0.0.0' },
        { action: 'permit', network: '127.0.0.1' },
        { action: 'permit', network: '10.0.0.0/8' },
        { action: 'permit', network: '192.168.1.0/24' },
        { action: 'permit', network: '::1/128' },
        { action: 'permit', network: '::ffff:172.16.0.0/255.240.0.0' },
      ],
      aclNames: ['office', 'lab'],
    });
  });
});

test('invalid values: errors name file:line, the value and the accepted values', () => {
  withAriConf([
    '[general]',
    'pretty = sometimes', // 2
    'websocket_write_timeout = soon', // 3
    '[alice]',
    'type = user',
    'password = secret',
    'password_format = rot13', // 7
    'read_only = perhaps', // 8
  ].join('\n'), (dir, file) => {
    const { value, diagnostics } = loadAriConf(dir);
    assert.deepEqual(diagnostics.map((d) => [d.level, d.line]), [['error', 2], ['error', 3], ['error', 7], ['error', 8]]);
    assert.equal(formatDiagnostic(diagnostics[2]!),
      `${file}:7: error: invalid value 'rot13' for 'password_format': expected one of plain, crypt; using the default plain`);
    assert.equal(value.pretty, false);
    assert.equal(value.websocketWriteTimeoutMs, 100);
    assert.equal(value.users.get('alice')?.passwordFormat, 'plain');
    assert.equal(value.users.get('alice')?.readOnly, false);
  });
});

test('a user with an empty or missing password, or a bad ACL, is not added (error)', () => {
  withAriConf([
    '[general]',
    '[empty]', // 2
    'type = user',
    'password =',
    '[none]', // 5
    'type = user',
    '[badacl]', // 7
    'type = user',
    'password = x',
    'permit = 300.1.2.3', // 10
    '[badmask]', // 11
    'type = user',
    'password = x',
    'deny = 10.0.0.0/33', // 14
    '[ok]',
    'type = user',
    'password = fine',
  ].join('\n'), (dir) => {
    const { value, diagnostics } = loadAriConf(dir);
    assert.deepEqual([...value.users.keys()], ['ok']);
    assert.deepEqual(diagnostics.map((d) => [d.level, d.line]), [
      ['error', 2], ['error', 5], ['error', 10], ['error', 7], ['error', 14], ['error', 11],
    ]);
    assert.match(diagnostics[0]!.message, /'empty' has no password/);
    assert.match(diagnostics[2]!.message, /invalid value '300\.1\.2\.3' for 'permit'/);
  });
});

test('sections without a type, with an unknown type, or outbound_websocket warn and are skipped', () => {
  withAriConf([
    '[general]',
    '[notype]', // 2
    'password = x',
    '[odd]',
    'type = robot', // 5
    '[conn1]', // 6
    'type = outbound_websocket',
    'websocket_client_id = myid',
    '[bob]',
    'type = user',
    'password = b',
    'frobnicate = yes', // 12
  ].join('\n'), (dir) => {
    const { value, diagnostics } = loadAriConf(dir);
    assert.deepEqual(diagnostics.map((d) => [d.level, d.line]), [['warning', 2], ['warning', 5], ['warning', 6], ['warning', 12]]);
    assert.match(diagnostics[0]!.message, /no 'type'/);
    assert.match(diagnostics[1]!.message, /unknown type 'robot'/);
    assert.match(diagnostics[2]!.message, /outbound_websocket.*not support/);
    assert.match(diagnostics[3]!.message, /unknown option 'frobnicate' in \[bob\]/);
    assert.deepEqual([...value.users.keys()], ['bob']);
  });
});

test('the loaded value is deep-frozen, users map included', () => {
  withAriConf(SEED_ARI_CONF, (dir) => {
    const { value } = loadAriConf(dir);
    assert.throws(() => {
      (value as { pretty: boolean }).pretty = false;
    }, TypeError);
    assert.throws(() => {
      (value.allowedOrigins as string[]).push('evil');
    }, TypeError);
    assert.throws(() => {
      (value.users as Map<string, unknown>).set('mallory', {});
    }, TypeError);
    assert.throws(() => {
      (value.users.get('asterisk') as { readOnly: boolean }).readOnly = true;
    }, TypeError);
    assert.equal(value.users.size, 1);
  });
});
