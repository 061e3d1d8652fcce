/**
 * `/asterisk/config/dynamic/{configClass}/{objectType}/{id}`: sorcery push configuration. Only `res_pjsip`
 * is a configuration class here (Asterisk answers any other module without sorcery objects the same 404);
 * its objects are the pjsip.conf object types (`src/sip/push-config.ts` decides what may change).
 *
 * - GET: the object's fields as a `ConfigTuple` list (every option with its value, defaults included);
 * - PUT `{"fields": [{"attribute": "...", "value": "..."}]}`: creates or updates a pushed object, answering
 *   its fields; a bad value is a 400 that says which;
 * - DELETE: removes a pushed object (204); objects from pjsip.conf cannot be deleted (403).
 *
 * The 404 messages are Asterisk's: `configClass 'x' not found`, `objectType 'x' not found`,
 * `Object with id 'x' not found`.
 */

import type { PjsipObject, PjsipObjectType } from '../../config/pjsip.ts';
import { pjsipObjectFields } from '../../sip/objectset.ts';
import { isPjsipObjectType, type PjsipPushConfig, type PushField } from '../../sip/push-config.ts';
import type { AriContext, HandlerMap } from '../dispatcher.ts';
import { AriError } from '../errors.ts';

export interface DynamicConfigDeps {
  /** The res_pjsip push configuration; undefined when SIP is not running. */
  readonly pjsip: () => PjsipPushConfig | undefined;
}

const tuples = (object: PjsipObject): Array<{ attribute: string; value: string }> =>
  pjsipObjectFields(object).map(([attribute, value]) => ({ attribute, value }));

/** Reads `{"fields": [...]}`; undefined when the body has no `fields`. */
function readFields(body: unknown): PushField[] | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) throw new AriError(400, 'Request body must be a JSON object');
  const fields = (body as Record<string, unknown>)['fields'];
  if (fields === undefined) return undefined;
  if (!Array.isArray(fields)) throw new AriError(400, "'fields' must be a list of {attribute, value} objects");
  return fields.map((f: unknown) => {
    const item = (f ?? {}) as Record<string, unknown>;
    const attribute = item['attribute'];
    const value = item['value'];
    if (typeof attribute !== 'string' || attribute === '' || (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')) {
      throw new AriError(400, "each of 'fields' needs a string 'attribute' and a 'value'");
    }
    return { attribute, value: String(value) };
  });
}

export function dynamicConfigHandlers(deps: DynamicConfigDeps): HandlerMap {
  /** The push configuration and the object type named by the path, or the 404 Asterisk gives. */
  const target = ({ params }: AriContext): { store: PjsipPushConfig; type: PjsipObjectType; id: string } => {
    const configClass = params.string('configClass') ?? '';
    const objectType = params.string('objectType') ?? '';
    const store = configClass === 'res_pjsip' ? deps.pjsip() : undefined;
    if (store === undefined) throw new AriError(404, `configClass '${configClass}' not found`);
    if (!isPjsipObjectType(objectType)) throw new AriError(404, `objectType '${objectType}' not found`);
    return { store, type: objectType, id: params.string('id') ?? '' };
  };
  return {
    'asterisk.getObject': {
      handle: (ctx) => {
        const { store, type, id } = target(ctx);
        const found = store.get(type, id);
        if (found === undefined) throw new AriError(404, `Object with id '${id}' not found`);
        return { status: 200, body: tuples(found.object) };
      },
    },
    'asterisk.updateObject': {
      handle: (ctx) => {
        const { store, type, id } = target(ctx);
        const result = store.put(type, id, readFields(ctx.params.raw('fields')));
        if (!result.ok) throw new AriError(result.status, result.message);
        return { status: 200, body: tuples(result.object) };
      },
    },
    'asterisk.deleteObject': {
      handle: (ctx) => {
        const { store, type, id } = target(ctx);
        const result = store.delete(type, id);
        if (!result.ok) throw new AriError(result.status, result.message);
        return { status: 204 };
      },
    },
  };
}
