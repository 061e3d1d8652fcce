/**
 * `/mailboxes`: message counts for mailboxes kept outside Ariadne (external MWI), persisted in the astdb.
 *
 * PUT creates or replaces a mailbox; GET and DELETE of an unknown one are 404 `Mailbox does not exist`
 * (Asterisk's wording for DELETE; its GET says "Mailbox is does not exist"). Counts must be whole numbers
 * from 0 to 2147483647: anything else is a 400 naming the parameter, where Asterisk stores a negative count
 * as a huge unsigned one.
 */

import type { MailboxRegistry } from '../../core/mailboxes.ts';
import { MAX_MESSAGE_COUNT } from '../../core/mailboxes.ts';
import type { HandlerMap } from '../dispatcher.ts';
import { AriError } from '../errors.ts';
import type { Params } from '../params.ts';

export interface MailboxResourceDeps {
  readonly mailboxes: Pick<MailboxRegistry, 'list' | 'get' | 'update' | 'delete'>;
}

const NOT_FOUND = 'Mailbox does not exist';

function count(params: Params, name: string): number {
  const n = params.int(name);
  if (n === undefined) throw new AriError(400, `Missing parameter ${name}`);
  if (n < 0) throw new AriError(400, `Invalid value for parameter ${name}: must be at least 0`);
  if (n > MAX_MESSAGE_COUNT) throw new AriError(400, `Invalid value for parameter ${name}: must be at most ${MAX_MESSAGE_COUNT}`);
  return n;
}

export function mailboxHandlers(deps: MailboxResourceDeps): HandlerMap {
  const { mailboxes } = deps;
  return {
    'mailboxes.list': { handle: () => ({ status: 200, body: mailboxes.list() }) },
    'mailboxes.get': {
      handle: ({ params }) => {
        const mailbox = mailboxes.get(params.string('mailboxName') ?? '');
        if (!mailbox) throw new AriError(404, NOT_FOUND);
        return { status: 200, body: mailbox };
      },
    },
    'mailboxes.update': {
      handle: ({ params }) => {
        const oldMessages = count(params, 'oldMessages');
        const newMessages = count(params, 'newMessages');
        mailboxes.update(params.string('mailboxName') ?? '', oldMessages, newMessages);
        return { status: 204 };
      },
    },
    'mailboxes.delete': {
      handle: ({ params }) => {
        if (!mailboxes.delete(params.string('mailboxName') ?? '')) throw new AriError(404, NOT_FOUND);
        return { status: 204 };
      },
    },
  };
}
