/**
 * Our api-docs against Asterisk 22.10.1's declared interface (`ari-shapes.json`), their wording, the
 * generated tables, and the official ari-client building itself from them.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, cpSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

import {
  checkGenerated,
  emitModels,
  loadSpec,
  toOperationSpec,
  tsType,
  writeGenerated,
} from '../../../scripts/gen-ari.ts';
import { operations } from '../generated/operations.ts';
import { eventTypes } from '../../../client/generated/models.ts';
import type { AriEvent, AriEventType, StasisStart } from '../../../client/generated/models.ts';

const specDir = import.meta.dirname;
const repoRoot = path.resolve(specDir, '../../..');
const shapesPath = path.resolve(repoRoot, '../shared/reference/asterisk-22/ari-shapes.json');

const RESOURCE_ORDER = [
  'asterisk',
  'endpoints',
  'channels',
  'bridges',
  'recordings',
  'sounds',
  'playbacks',
  'deviceStates',
  'mailboxes',
  'events',
  'applications',
] as const;

/** Where Asterisk declares each non-event model; every other model lives in events.json. */
const MODEL_HOMES: Readonly<Record<string, readonly string[]>> = {
  asterisk: [
    'BuildInfo',
    'SystemInfo',
    'SetId',
    'ConfigInfo',
    'StatusInfo',
    'AsteriskInfo',
    'AsteriskPing',
    'Module',
    'LogChannel',
    'Variable',
    'Variables',
    'ConfigTuple',
  ],
  endpoints: ['Endpoint', 'TextMessage'],
  channels: ['Dialed', 'DialplanCEP', 'CallerID', 'RTPstat', 'Channel'],
  bridges: ['Bridge'],
  recordings: ['StoredRecording', 'LiveRecording'],
  sounds: ['FormatLangPair', 'Sound'],
  playbacks: ['Playback'],
  deviceStates: ['DeviceState'],
  mailboxes: ['Mailbox'],
  applications: ['Application'],
};

// ----------------------------------------------------------------------------------------------------------------
// helpers

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function obj(value: Json | undefined, where: string): JsonObject {
  assert.ok(isObject(value), `${where}: expected an object`);
  return value;
}

function arr(value: Json | undefined, where: string): Json[] {
  assert.ok(Array.isArray(value), `${where}: expected an array`);
  return value;
}

function readJson(file: string): Json {
  return JSON.parse(readFileSync(file, 'utf8')) as Json;
}

function readDoc(name: string): JsonObject {
  return obj(readJson(path.join(specDir, `${name}.json`)), `${name}.json`);
}

function loadShapes(): JsonObject {
  if (!existsSync(shapesPath)) {
    assert.fail(
      `reference shapes not found at ${shapesPath}; the spec cannot be checked without ` +
        'shared/reference/asterisk-22/ari-shapes.json beside the repository',
    );
  }
  return obj(readJson(shapesPath), 'ari-shapes.json');
}

/** Copies the listed keys that are present, in the listed order. */
function pick(source: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const k of keys) {
    const v = source[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** A resource file reduced to what ari-shapes.json records about it. */
function shapeOfResource(doc: JsonObject, where: string): JsonObject {
  const apis = arr(doc['apis'], `${where}.apis`).map((rawApi, i) => {
    const api = obj(rawApi, `${where}.apis[${i}]`);
    const operations = arr(api['operations'], `${where}.apis[${i}].operations`).map((rawOp, j) => {
      const op = obj(rawOp, `${where}.apis[${i}].operations[${j}]`);
      const shape: JsonObject = { method: op['httpMethod'] ?? null };
      Object.assign(shape, pick(op, ['nickname', 'responseClass', 'upgrade', 'websocketProtocol']));
      shape['parameters'] = arr(op['parameters'] ?? [], `${where} ${String(op['nickname'])}.parameters`).map((p, k) =>
        pick(obj(p, `${where} parameter ${k}`), [
          'name',
          'paramType',
          'dataType',
          'required',
          'allowMultiple',
          'defaultValue',
          'allowableValues',
        ]),
      );
      shape['errorCodes'] = arr(op['errorResponses'] ?? [], `${where} ${String(op['nickname'])}.errorResponses`).map(
        (e, k) => obj(e, `${where} error ${k}`)['code'] ?? null,
      );
      return shape;
    });
    return { path: api['path'] ?? null, operations };
  });
  return { requiresModules: doc['requiresModules'] ?? [], apis };
}

function shapeOfModel(model: JsonObject, where: string): JsonObject {
  const properties: JsonObject = {};
  for (const [name, p] of Object.entries(obj(model['properties'], `${where}.properties`))) {
    properties[name] = pick(obj(p, `${where}.${name}`), ['type', 'required', 'allowableValues']);
  }
  return { properties, ...pick(model, ['discriminator', 'subTypes', 'extends']) };
}

/** Every description-like text in a resource file, with where it is. */
function texts(doc: JsonObject, where: string): { where: string; text: Json | undefined }[] {
  const out: { where: string; text: Json | undefined }[] = [];
  for (const [i, rawApi] of arr(doc['apis'], `${where}.apis`).entries()) {
    const api = obj(rawApi, `${where}.apis[${i}]`);
    const at = `${where} ${String(api['path'])}`;
    out.push({ where: `${at} description`, text: api['description'] });
    for (const rawOp of arr(api['operations'], `${at}.operations`)) {
      const op = obj(rawOp, at);
      const opAt = `${at} ${String(op['nickname'])}`;
      out.push({ where: `${opAt} summary`, text: op['summary'] });
      if ('notes' in op) out.push({ where: `${opAt} notes`, text: op['notes'] });
      for (const p of arr(op['parameters'] ?? [], opAt)) {
        const param = obj(p, opAt);
        out.push({ where: `${opAt} parameter ${String(param['name'])}`, text: param['description'] });
      }
      for (const e of arr(op['errorResponses'] ?? [], opAt)) {
        const error = obj(e, opAt);
        out.push({ where: `${opAt} error ${String(error['code'])}`, text: error['reason'] });
      }
    }
  }
  for (const [id, rawModel] of Object.entries(obj(doc['models'], `${where}.models`))) {
    const model = obj(rawModel, `${where} model ${id}`);
    out.push({ where: `${where} model ${id}`, text: model['description'] });
    for (const [name, p] of Object.entries(obj(model['properties'], `${where} model ${id}`))) {
      out.push({ where: `${where} model ${id}.${name}`, text: obj(p, name)['description'] });
    }
  }
  return out;
}

// ----------------------------------------------------------------------------------------------------------------
// (a) structure and shapes

test('resources.json lists the eleven resources in Asterisk order as a Swagger 1.1 listing', () => {
  const listing = obj(readJson(path.join(specDir, 'resources.json')), 'resources.json');
  assert.equal(listing['apiVersion'], '10.0.0');
  assert.equal(listing['swaggerVersion'], '1.1');
  assert.equal(typeof listing['basePath'], 'string');
  const apis = arr(listing['apis'], 'resources.json apis').map((a) => obj(a, 'resources.json api'));
  assert.deepEqual(
    apis.map((a) => a['path']),
    RESOURCE_ORDER.map((name) => `/api-docs/${name}.{format}`),
  );
  for (const a of apis) assert.deepEqual(Object.keys(a), ['path', 'description']);
  const files = readdirSync(specDir).filter((f) => f.endsWith('.json'));
  assert.deepEqual(files.sort(), [...RESOURCE_ORDER.map((n) => `${n}.json`), 'resources.json'].sort());
});

test('each resource file has the top-level layout Asterisk serves', () => {
  const shapes = loadShapes();
  const resources = obj(shapes['resources'], 'shapes.resources');
  for (const name of RESOURCE_ORDER) {
    const doc = readDoc(name);
    assert.equal(doc['apiVersion'], '2.0.0', name);
    assert.equal(doc['swaggerVersion'], name === 'events' ? '1.2' : '1.1', name);
    assert.equal(typeof doc['basePath'], 'string', name);
    assert.equal(doc['resourcePath'], `/api-docs/${name}.{format}`, name);
    const expectedKeys = ['apiVersion', 'swaggerVersion', 'basePath', 'resourcePath', 'since'];
    const modules = arr(obj(resources[name], name)['requiresModules'], `${name} requiresModules`);
    if (modules.length > 0) expectedKeys.push('requiresModules');
    expectedKeys.push('apis', 'models');
    assert.deepEqual(Object.keys(doc), expectedKeys, `${name}.json top-level keys`);
    for (const rawApi of arr(doc['apis'], name)) {
      const api = obj(rawApi, name);
      assert.deepEqual(Object.keys(api), ['path', 'description', 'operations'], `${name} ${String(api['path'])}`);
      for (const rawOp of arr(api['operations'], name)) {
        const op = obj(rawOp, name);
        const at = `${name} ${String(op['nickname'])}`;
        assert.ok(!('method' in op), `${at}: Swagger 1.1/1.2 uses httpMethod`);
        for (const k of Object.keys(op)) {
          assert.ok(
            [
              'httpMethod',
              'since',
              'upgrade',
              'websocketProtocol',
              'summary',
              'notes',
              'nickname',
              'responseClass',
              'parameters',
              'errorResponses',
            ].includes(k),
            `${at}: unexpected key ${k}`,
          );
        }
        for (const e of arr(op['errorResponses'], at)) assert.deepEqual(Object.keys(obj(e, at)), ['code', 'reason'], at);
      }
    }
    for (const [id, rawModel] of Object.entries(obj(doc['models'], name))) {
      const model = obj(rawModel, `${name} ${id}`);
      assert.equal(model['id'], id, `${name} model ${id} id`);
    }
  }
});

test('operations, parameters and error codes equal ari-shapes.json exactly', () => {
  const shapes = loadShapes();
  const resources = obj(shapes['resources'], 'shapes.resources');
  assert.deepEqual(Object.keys(resources), [...RESOURCE_ORDER]);
  for (const name of RESOURCE_ORDER) {
    const ours = shapeOfResource(readDoc(name), `${name}.json`);
    const theirs = obj(resources[name], `shapes ${name}`);
    const ourApis = arr(ours['apis'], name);
    const theirApis = arr(theirs['apis'], name);
    // Compare path by path first so that a failure names the place.
    assert.deepEqual(
      ourApis.map((a) => obj(a, name)['path']),
      theirApis.map((a) => obj(a, name)['path']),
      `${name}: api paths and their order`,
    );
    for (const [i, rawApi] of ourApis.entries()) {
      const api = obj(rawApi, name);
      const at = `${name} ${String(api['path'])}`;
      const theirOps = arr(obj(theirApis[i], at)['operations'], at).map((o) => obj(o, at));
      const ourOps = arr(api['operations'], at).map((o) => obj(o, at));
      assert.deepEqual(
        ourOps.map((o) => `${String(o['method'])} ${String(o['nickname'])}`),
        theirOps.map((o) => `${String(o['method'])} ${String(o['nickname'])}`),
        `${at}: operations and their order`,
      );
      for (const [j, op] of ourOps.entries()) {
        const theirOp = theirOps[j] ?? {};
        const opAt = `${at} ${String(op['nickname'])}`;
        const { parameters: ourParams, ...ourRest } = op;
        const { parameters: theirParams, ...theirRest } = theirOp;
        assert.deepStrictEqual(ourRest, theirRest, opAt);
        const ps = arr(ourParams, opAt);
        const tps = arr(theirParams, opAt);
        assert.deepEqual(
          ps.map((p) => obj(p, opAt)['name']),
          tps.map((p) => obj(p, opAt)['name']),
          `${opAt}: parameter names and order`,
        );
        for (const [k, p] of ps.entries()) {
          assert.deepStrictEqual(p, tps[k], `${opAt} parameter ${String(obj(p, opAt)['name'])}`);
        }
      }
    }
    assert.deepStrictEqual(ours, theirs, name);
  }
});

/**
 * Enum values our spec adds to Asterisk's, each a documented choice (docs/compatibility.md): Playback.state
 * `paused` (Asterisk sends it but does not list it) and `stopped` (a playback ended by a stop request, where
 * Asterisk says `done`).
 */
const EXTENSIONS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = { Playback: { state: ['paused', 'stopped'] } };

/** The model as Asterisk's shapes have it: the documented extra enum values checked, then taken out. */
function withoutExtensions(id: string, model: JsonObject): JsonObject {
  const extra = EXTENSIONS[id];
  if (extra === undefined) return model;
  const props = { ...obj(model['properties'], id) };
  for (const [prop, added] of Object.entries(extra)) {
    const p = obj(props[prop], `${id}.${prop}`);
    const allowable = obj(p['allowableValues'], `${id}.${prop}.allowableValues`);
    const values = arr(allowable['values'], `${id}.${prop} values`) as string[];
    for (const v of added) assert.ok(values.includes(v), `${id}.${prop} lists ${v}`);
    props[prop] = { ...p, allowableValues: { ...allowable, values: values.filter((v) => !added.includes(v)) } };
  }
  return { ...model, properties: props };
}

test('models equal ari-shapes.json exactly (but for documented extensions) and sit in the file Asterisk puts them in', () => {
  const shapes = loadShapes();
  const theirModels = obj(shapes['models'], 'shapes.models');
  const ourModels: JsonObject = {};
  const homes = new Map<string, string>();
  for (const name of RESOURCE_ORDER) {
    for (const [id, model] of Object.entries(obj(readDoc(name)['models'], `${name}.json models`))) {
      assert.ok(!(id in ourModels), `model ${id} is declared twice`);
      ourModels[id] = withoutExtensions(id, shapeOfModel(obj(model, id), `${name}.json ${id}`));
      homes.set(id, name);
    }
  }
  assert.deepEqual(Object.keys(ourModels), Object.keys(theirModels), 'model names and order');
  for (const [id, model] of Object.entries(ourModels)) {
    const theirs = obj(theirModels[id], id);
    assert.deepEqual(
      Object.keys(obj(obj(model, id)['properties'], id)),
      Object.keys(obj(theirs['properties'], id)),
      `${id}: property order`,
    );
    const ourProps = obj(obj(model, id)['properties'], id);
    const theirProps = obj(theirs['properties'], id);
    for (const [prop, p] of Object.entries(ourProps)) {
      assert.deepStrictEqual(p, theirProps[prop], `model ${id}.${prop}`);
    }
    assert.deepStrictEqual(model, theirs, `model ${id}`);
  }
  for (const [id, home] of homes) {
    const expected = Object.entries(MODEL_HOMES).find(([, ids]) => ids.includes(id))?.[0] ?? 'events';
    assert.equal(home, expected, `model ${id} belongs in ${expected}.json`);
  }
  assert.equal(homes.size, 85);
});

// ----------------------------------------------------------------------------------------------------------------
// (b) operation count, (c) wording

test('there are 109 operations, unique by resource+nickname and by method+path', () => {
  const spec = loadSpec(specDir);
  const all = spec.resources.flatMap(({ name, doc }) =>
    doc.apis.flatMap((api) => api.operations.map((op) => ({ name, path: api.path, op }))),
  );
  assert.equal(all.length, 109);
  assert.equal(operations.length, 109);
  assert.equal(new Set(all.map((o) => `${o.name}.${o.op.nickname}`)).size, 109);
  assert.equal(new Set(all.map((o) => `${o.op.httpMethod} ${o.path}`)).size, 109);
});

test('no description, summary, note or error reason is missing or empty', () => {
  const listing = obj(readJson(path.join(specDir, 'resources.json')), 'resources.json');
  const found: { where: string; text: Json | undefined }[] = arr(listing['apis'], 'listing').map((a, i) => ({
    where: `resources.json apis[${i}]`,
    text: obj(a, 'listing')['description'],
  }));
  for (const name of RESOURCE_ORDER) found.push(...texts(readDoc(name), `${name}.json`));
  assert.ok(found.length > 1000, `expected over a thousand texts, found ${found.length}`);
  const bad = found.filter((t) => typeof t.text !== 'string' || t.text.trim() === '').map((t) => t.where);
  assert.deepEqual(bad, []);
});

test('spec files are pretty-printed with two spaces and end with a newline', () => {
  for (const file of readdirSync(specDir).filter((f) => f.endsWith('.json'))) {
    const text = readFileSync(path.join(specDir, file), 'utf8');
    assert.equal(text, `${JSON.stringify(JSON.parse(text), null, 2)}\n`, file);
  }
});

// ----------------------------------------------------------------------------------------------------------------
// (d) generated code

test('generated files are up to date with the spec', () => {
  assert.deepEqual(checkGenerated(), [], 'run `npm run gen`');
});

test('the check notices a changed or missing generated file', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'ariadne-gen-'));
  try {
    writeGenerated(specDir, out);
    assert.deepEqual(checkGenerated(specDir, out), []);
    writeFileSync(path.join(out, 'operations.ts'), `${readFileSync(path.join(out, 'operations.ts'), 'utf8')}// edit\n`);
    assert.deepEqual(checkGenerated(specDir, out), ['operations.ts differs from the spec']);
    unlinkSync(path.join(out, 'operations.ts'));
    assert.deepEqual(checkGenerated(specDir, out), ['operations.ts is missing']);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the generator rejects a broken spec with a message naming the place', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ariadne-spec-'));
  try {
    cpSync(specDir, dir, { recursive: true, filter: (src) => !src.endsWith('.ts') });
    const file = path.join(dir, 'sounds.json');
    const doc = obj(readJson(file), 'sounds.json');
    const op = obj(arr(obj(arr(doc['apis'], 'apis')[1], 'api')['operations'], 'ops')[0], 'op');
    obj(arr(op['parameters'], 'params')[0], 'param')['description'] = ' ';
    writeFileSync(file, JSON.stringify(doc));
    assert.throws(() => loadSpec(dir), /sounds\.json \/sounds\/\{soundId\}.*\(get\).*\(soundId\)\.description: must not be empty/);

    obj(arr(op['parameters'], 'params')[0], 'param')['description'] = 'ok';
    obj(arr(op['parameters'], 'params')[0], 'param')['dataType'] = 'float';
    writeFileSync(file, JSON.stringify(doc));
    assert.throws(() => loadSpec(dir), /\(soundId\)\.dataType: unknown value float/);

    obj(arr(op['parameters'], 'params')[0], 'param')['dataType'] = 'string';
    op['responseClass'] = 'Noise';
    writeFileSync(file, JSON.stringify(doc));
    assert.throws(() => loadSpec(dir), /unknown responseClass Noise/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the operation table mirrors the spec, with Swagger defaults made explicit', () => {
  const byKey = new Map(operations.map((o) => [`${o.resource}.${o.nickname}`, o]));
  const endpointGet = byKey.get('endpoints.get');
  assert.ok(endpointGet);
  assert.equal(endpointGet.path, '/endpoints/{tech}/{resource}');
  // Asterisk leaves `required` off these path parameters; a path parameter is always required.
  assert.deepEqual(
    endpointGet.params.map((p) => [p.name, p.required, p.allowMultiple]),
    [
      ['tech', true, false],
      ['resource', true, false],
    ],
  );
  // Asterisk writes these two codes as strings; the table holds numbers.
  assert.deepEqual(byKey.get('channels.move')?.errorCodes, [404, 409]);
  const ws = byKey.get('events.eventWebsocket');
  assert.equal(ws?.upgrade, 'websocket');
  assert.deepEqual(ws?.params.map((p) => [p.name, p.required, p.allowMultiple]), [
    ['app', true, true],
    ['subscribeAll', false, false],
  ]);
  const record = byKey.get('channels.record');
  assert.deepEqual(record?.params.find((p) => p.name === 'terminateOn'), {
    name: 'terminateOn',
    paramType: 'query',
    dataType: 'string',
    required: false,
    allowMultiple: false,
    allowableValues: { valueType: 'LIST', values: ['none', 'any', '*', '#'] },
    defaultValue: 'none',
  });
  assert.deepEqual(record?.params.find((p) => p.name === 'maxDurationSeconds')?.allowableValues, {
    valueType: 'RANGE',
    min: 0,
  });
  const spec = loadSpec(specDir);
  const sounds = spec.resources.find((r) => r.name === 'sounds')?.doc.apis[0];
  assert.ok(sounds?.operations[0]);
  assert.deepEqual(toOperationSpec('sounds', sounds.path, sounds.operations[0]), byKey.get('sounds.list'));
});

test('Swagger property types map to TypeScript', () => {
  assert.equal(tsType('string'), 'string');
  assert.equal(tsType('int'), 'number');
  assert.equal(tsType('long'), 'number');
  assert.equal(tsType('double'), 'number');
  assert.equal(tsType('boolean'), 'boolean');
  assert.equal(tsType('Date'), 'string');
  assert.equal(tsType('object'), 'Record<string, unknown>');
  assert.equal(tsType('List[string]'), 'readonly string[]');
  assert.equal(tsType('List[object]'), 'readonly Record<string, unknown>[]');
  assert.equal(tsType('List[FormatLangPair]'), 'readonly FormatLangPair[]');
  assert.equal(tsType('Channel'), 'Channel');
  assert.equal(tsType('string', { valueType: 'LIST', values: ['in', "o'ut"] }), "'in' | 'o\\'ut'");
  const models = emitModels(loadSpec(specDir));
  assert.match(models, /export interface Channel \{[^}]*readonly state: 'Down' \| 'Rsrved' \| 'OffHook'/);
  assert.match(models, /export interface Channel \{[^}]*readonly channelvars\?: Record<string, unknown>;/);
  assert.match(models, /export interface Event extends Message \{[^}]*readonly timestamp: string;/);
  assert.match(models, /export interface Message \{[^}]*readonly type: string;/);
  assert.match(models, /export interface StasisEnd extends Event \{[^}]*readonly type: 'StasisEnd';/);
});

test('eventTypes lists the 46 concrete message types, matching the shapes and the AriEvent union', () => {
  const shapes = loadShapes();
  const models = obj(shapes['models'], 'models');
  const leaves: string[] = [];
  const visit = (id: string): void => {
    const subs = arr(obj(models[id], id)['subTypes'] ?? [], id).map(String);
    if (subs.length === 0) leaves.push(id);
    subs.forEach(visit);
  };
  arr(obj(models['Message'], 'Message')['subTypes'], 'Message.subTypes').map(String).forEach(visit);
  assert.equal(leaves.length, 46);
  assert.deepEqual([...eventTypes], leaves);
  assert.equal(new Set(eventTypes).size, 46);

  // Compile-time: the union's `type` values are exactly eventTypes, and narrowing works.
  type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
  const same: Same<AriEvent['type'], AriEventType> = true;
  assert.equal(same, true);
  const sample: AriEvent = {
    type: 'StasisStart',
    application: 'demo',
    timestamp: '2026-11-27T07:12:03.123+0000',
    args: [],
    channel: {
      id: '1795764663.1',
      protocol_id: '',
      name: 'Local/1000@default-00000001;2',
      state: 'Up',
      caller: { name: '', number: '' },
      connected: { name: '', number: '' },
      accountcode: '',
      dialplan: { context: 'default', exten: '1000', priority: 2, app_name: 'Stasis', app_data: 'demo' },
      creationtime: '2026-11-27T07:12:03.100+0000',
      language: 'en',
    },
  };
  const start: StasisStart | undefined = sample.type === 'StasisStart' ? sample : undefined;
  assert.equal(start?.channel.dialplan.app_name, 'Stasis');
});

// ----------------------------------------------------------------------------------------------------------------
// the official client builds itself from these files

interface AriClient {
  readonly [resource: string]: unknown;
  readonly _swagger: { readonly apis: { readonly events: { readonly models: Readonly<Record<string, unknown>> } } };
}
interface AriModule {
  connect(url: string, user: string, pass: string): Promise<AriClient>;
}

test('ari-client connects to these api-docs and sends requests where the spec says', async () => {
  const require = createRequire(import.meta.url);
  const ari = require('ari-client') as AriModule;
  const seen: { method: string; url: string; body: string; auth: string | undefined }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      const url = req.url ?? '';
      seen.push({ method: req.method ?? '', url, body, auth: req.headers.authorization });
      const docMatch = /^\/ari\/api-docs\/(\w+)\.json$/.exec(url);
      res.setHeader('content-type', 'application/json');
      if (docMatch?.[1] !== undefined) {
        const doc = readDoc(docMatch[1]);
        doc['basePath'] = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ari`;
        res.end(JSON.stringify(doc));
      } else if (url.startsWith('/ari/channels')) {
        res.end(JSON.stringify({ id: '1795764663.7', name: 'PJSIP/alice-00000001', state: 'Down' }));
      } else {
        res.end(JSON.stringify({ value: 'blue' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const log = console.log;
  try {
    console.log = () => {}; // swagger-client prints a notice about Swagger 1.1, as it does for Asterisk
    let client: AriClient;
    try {
      client = await ari.connect(`http://127.0.0.1:${port}`, 'user', 'secret');
    } finally {
      console.log = log;
    }
    const spec = loadSpec(specDir);
    for (const { name, doc } of spec.resources) {
      const resource = client[name] as Record<string, unknown> | undefined;
      assert.ok(resource, `client.${name}`);
      for (const op of doc.apis.flatMap((a) => a.operations)) {
        assert.equal(typeof resource[op.nickname], 'function', `client.${name}.${op.nickname}`);
      }
    }
    // ari-client dispatches WebSocket messages by looking the type up among the events models.
    for (const type of eventTypes) assert.ok(type in client._swagger.apis.events.models, type);

    const asterisk = client['asterisk'] as { getGlobalVar(a: object): Promise<{ value: string }> };
    assert.deepEqual(await asterisk.getGlobalVar({ variable: 'COLOUR' }), { value: 'blue' });
    const channels = client['channels'] as { originate(a: object): Promise<{ id: string }> };
    const channel = await channels.originate({ endpoint: 'PJSIP/alice', app: 'demo', variables: { A: '1' } });
    assert.equal(channel.id, '1795764663.7');
    const calls = seen.filter((s) => !s.url.includes('/api-docs/'));
    assert.deepEqual(
      calls.map((c) => [c.method, c.url, c.body]),
      [
        ['GET', '/ari/asterisk/variable?variable=COLOUR', ''],
        ['POST', '/ari/channels?endpoint=PJSIP%2Falice&app=demo', '{"variables":{"A":"1"}}'],
      ],
    );
    assert.ok(calls.every((c) => c.auth === `Basic ${Buffer.from('user:secret').toString('base64')}`));
  } finally {
    console.log = log;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
