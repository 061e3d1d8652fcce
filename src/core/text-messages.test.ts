import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../shared/logger.ts';
import { Core } from './core.ts';
import { MessageRouter, TextMessage, messageOf } from './text-messages.ts';

describe('text messages', () => {
  it('keeps received variables apart from outbound ones; custom_data marks them all', () => {
    const m = new TextMessage();
    m.setVar('X-Received', 'r', false);
    m.setVar('X-Sent', 's', true);
    assert.equal(m.getVar('x-received'), 'r', 'names compare without case');
    assert.deepEqual(m.outboundVars(), [['X-Sent', 's']]);
    m.markAll(true);
    assert.deepEqual(m.outboundVars(), [['X-Received', 'r'], ['X-Sent', 's']]);
    m.markAll(false);
    assert.deepEqual(m.outboundVars(), []);
  });

  it('sends through the technology of the destination prefix, with MessageSend statuses', async () => {
    const core = new Core();
    const router = new MessageRouter({ core, logger: silentLogger() });
    const sent: Array<[string, string, string]> = [];
    router.registerTech({ name: 'pjsip', send: async (msg, destination, from) => (sent.push([msg.body, destination, from]), destination.toLowerCase() !== 'pjsip:nobody') });
    const m = new TextMessage();
    m.body = 'hi';
    assert.equal(await router.send(m, 'pjsip:bob', 'alice'), 'SUCCESS');
    assert.equal(await router.send(m, 'PJSIP:nobody', ''), 'FAILURE');
    assert.equal(await router.send(m, 'xmpp:bob', ''), 'INVALID_PROTOCOL');
    assert.equal(await router.send(m, '', ''), 'INVALID_URI');
    assert.deepEqual(sent, [['hi', 'pjsip:bob', 'alice'], ['hi', 'PJSIP:nobody', '']]);
  });

  it('runs queued messages one at a time on Message/ast_msg_queue channels that carry them', async () => {
    const core = new Core();
    const router = new MessageRouter({ core, logger: silentLogger() });
    const seen: string[] = [];
    let running = 0;
    core.setPbx({
      exists: (context, exten) => context === 'messages' && exten === 'bob',
      findLabel: () => undefined,
      run: async (channel) => {
        running++;
        assert.equal(running, 1, 'one message at a time');
        assert.equal(channel.name, 'Message/ast_msg_queue');
        assert.equal(channel.state, 'Up');
        seen.push(`${channel.location.context}/${channel.location.exten}:${messageOf(channel)?.body}`);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        channel.hangup(16);
      },
    });
    const message = (body: string, exten: string) => Object.assign(new TextMessage(), { body, context: 'messages', exten });
    assert.equal(router.hasDestination(message('x', 'bob')), true);
    assert.equal(router.hasDestination(message('x', 'carol')), false);
    assert.equal(router.hasDestination(Object.assign(new TextMessage(), { exten: 'bob' })), false, 'no context, no destination');
    router.queue(message('one', 'bob'));
    router.queue(message('two', 'bob'));
    for (let i = 0; i < 100 && router.pending > 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(seen, ['messages/bob:one', 'messages/bob:two']);
    assert.equal(core.channels.count, 0);
  });
});
