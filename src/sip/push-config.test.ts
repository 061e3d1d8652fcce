import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PjsipConfig } from '../config/pjsip.ts';
import { PjsipPushConfig } from './push-config.ts';
import { pjsipFromText } from './test-config.ts';

const FILE = `
[alice]
type=endpoint
aors=alice
[alice]
type=aor
`;

function store(text = FILE) {
  const applied: PjsipConfig[] = [];
  const push = new PjsipPushConfig({ file: pjsipFromText(text), etcDir: '/etc/ariadne', apply: (c) => applied.push(c) });
  return { push, applied };
}

describe('PjsipPushConfig', () => {
  it('creates, updates and deletes pushed objects, applying the merged configuration each time', () => {
    const { push, applied } = store();
    const created = push.put('endpoint', 'bob', [{ attribute: 'context', value: 'internal' }, { attribute: 'aors', value: 'bob' }]);
    assert.equal(created.ok, true);
    assert.equal(push.config.endpoint.get('bob')?.context, 'internal');
    assert.equal(push.config.endpoint.get('alice')?.aors[0], 'alice');
    const updated = push.put('endpoint', 'bob', [{ attribute: 'allow', value: 'ulaw' }]);
    assert.equal(updated.ok, true);
    // The update applies over the earlier fields.
    assert.equal(push.config.endpoint.get('bob')?.context, 'internal');
    assert.deepEqual(push.config.endpoint.get('bob')?.codecs.map((c) => c.name), ['ulaw']);
    assert.equal(push.delete('endpoint', 'bob').ok, true);
    assert.equal(push.config.endpoint.has('bob'), false);
    assert.equal(applied.length, 3);
  });

  it('refuses bad values and unknown options with the reason, changing nothing', () => {
    const { push, applied } = store();
    const bad = push.put('aor', 'bob', [{ attribute: 'max_contacts', value: 'lots' }]);
    assert.equal(bad.ok, false);
    assert.equal(bad.ok === false && bad.status, 400);
    assert.match(bad.ok === false ? bad.message : '', /^Creation of object 'bob' failed field value validation: .*max_contacts/);
    const unknown = push.put('endpoint', 'bob', [{ attribute: 'colour', value: 'blue' }]);
    assert.match(unknown.ok === false ? unknown.message : '', /unknown option 'colour'/);
    // An auth without username cannot exist.
    assert.equal(push.put('auth', 'bob', []).ok, false);
    assert.equal(push.config.aor.has('bob'), false);
    assert.equal(applied.length, 0);
  });

  it('keeps pjsip.conf objects read-only and refuses types that cannot be created at run time', () => {
    const { push } = store();
    assert.deepEqual(push.put('endpoint', 'alice', [{ attribute: 'context', value: 'x' }]), { ok: false, status: 403, message: "Cannot update sorcery objects of type 'endpoint'" });
    assert.deepEqual(push.delete('endpoint', 'alice'), { ok: false, status: 403, message: "Could not delete object with id 'alice'" });
    assert.deepEqual(push.delete('endpoint', 'nobody'), { ok: false, status: 404, message: "Object with id 'nobody' not found" });
    assert.deepEqual(push.put('transport', 't', [{ attribute: 'bind', value: '127.0.0.1' }]), { ok: false, status: 403, message: "Cannot create sorcery objects of type 'transport'" });
    push.put('aor', 'bob', []);
    assert.deepEqual(push.put('aor', 'bob', undefined), { ok: false, status: 400, message: "Fields must be provided to update object 'bob'" });
  });

  it('lets a file object shadow a pushed one across reloads', () => {
    const { push } = store();
    push.put('aor', 'bob', [{ attribute: 'max_contacts', value: '3' }]);
    push.setFile(pjsipFromText(`${FILE}\n[bob]\ntype=aor\nmax_contacts=1\n`));
    assert.equal(push.config.aor.get('bob')?.maxContacts, 1);
    assert.equal(push.get('aor', 'bob')?.pushed, false);
    push.setFile(pjsipFromText(FILE));
    assert.equal(push.config.aor.get('bob')?.maxContacts, 3);
  });
});
