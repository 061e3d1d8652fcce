import { test } from 'node:test';
import assert from 'node:assert/strict';
import { substitute, setVariableOrFunction } from '../substitute.ts';
import { createStandardFunctionRegistry } from './index.ts';
import { detectFunctions, type DetectPort, type TalkDetectSettings, type ToneDetectSettings } from './detect.ts';
import { testScope } from './testing.ts';

/** A port that records what the functions asked for. */
function fakePort() {
  const calls: unknown[] = [];
  let talk = false;
  let tone: ToneDetectSettings | undefined;
  const port: DetectPort = {
    setTalkDetect: (id: string, s: TalkDetectSettings | undefined) => {
      calls.push(['talk', id, s]);
      talk = s !== undefined;
      return true;
    },
    talkDetecting: () => talk,
    setToneDetect: (id: string, s: ToneDetectSettings | undefined) => {
      calls.push(['tone', id, s]);
      const had = tone !== undefined;
      tone = s;
      return s ? true : had;
    },
    toneCounts: () => (tone ? { rx: 2, tx: 1 } : undefined),
    setInbandDtmf: (id: string, on: boolean) => {
      calls.push(['dtmf', id, on]);
      return true;
    },
  };
  return { port, calls };
}

function setup() {
  const { port, calls } = fakePort();
  const functions = createStandardFunctionRegistry();
  functions.registerAll(detectFunctions(port));
  const scope = testScope({ functions, channel: { uniqueid: 'C1', name: 'Local/x@y-00000001;2' } });
  const set = (target: string, value = '') => setVariableOrFunction(target, value, scope);
  return { scope, calls, set };
}

test('TALK_DETECT(set) with defaults, values, and Asterisk warnings for bad ones; remove', () => {
  const { scope, calls, set } = setup();
  set('TALK_DETECT(remove)');
  set('TALK_DETECT(set)');
  set('TALK_DETECT(set)', '1200');
  set('TALK_DETECT(set)', ',128');
  set('TALK_DETECT(set)', 'abc');
  set('TALK_DETECT(set)', '0');
  set('TALK_DETECT(set)', '100,-3');
  set('TALK_DETECT(sideways)');
  set('TALK_DETECT()');
  set('TALK_DETECT(remove)');
  assert.deepEqual(calls, [
    ['talk', 'C1', { silenceMs: 2500, threshold: 256 }],
    ['talk', 'C1', { silenceMs: 1200, threshold: 256 }],
    ['talk', 'C1', { silenceMs: 2500, threshold: 128 }],
    ['talk', 'C1', undefined],
  ]);
  assert.deepEqual(scope.warnings, [
    'Cannot remove TALK_DETECT from Local/x@y-00000001;2: TALK_DETECT not currently enabled',
    'Failed to parse abc for dsp_silence_threshold',
    'Invalid value 0 for dsp_silence_threshold',
    'Invalid value -3 for dsp_talking_threshold',
    'TALK_DETECT: unknown option sideways',
    'TALK_DETECT requires an argument',
  ]);
});

test('TONE_DETECT: frequency, duration and options; reads count; unsupported parts warn', () => {
  const { scope, calls, set } = setup();
  set('TONE_DETECT(2600)');
  set('TONE_DETECT(1000,300,rd(20)n(2)e)');
  set('TONE_DETECT(440,,t)');
  set('TONE_DETECT()');
  set('TONE_DETECT(abc)');
  set('TONE_DETECT(-5)');
  set('TONE_DETECT(350+440)');
  set('TONE_DETECT(0,,b)');
  set('TONE_DETECT(1000,0)');
  set('TONE_DETECT(1000,,d(0))');
  const both = ['in', 'out'];
  assert.deepEqual(calls, [
    ['tone', 'C1', { frequency: 2600, durationMs: 500, db: 16, directions: both, hits: 1, endAfterHits: false }],
    ['tone', 'C1', { frequency: 1000, durationMs: 300, db: 20, directions: ['in'], hits: 2, endAfterHits: true }],
    ['tone', 'C1', { frequency: 440, durationMs: 500, db: 16, directions: ['out'], hits: 1, endAfterHits: false }],
  ]);
  assert.equal(substitute('${TONE_DETECT(rx)},${TONE_DETECT(tx)}', scope), '2,1');
  assert.deepEqual(scope.warnings, [
    'No frequency specified',
    'Frequency must be an integer: abc',
    'Sorry, no negative frequencies: -5',
    'Sorry, currently only 1 frequency is supported',
    'TONE_DETECT: call progress detection (frequency 0, options a, b, c, p) is not supported',
    'Invalid duration: 0',
    'Invalid decibel level: 0',
  ]);
  set('TONE_DETECT(,,x)');
  assert.deepEqual(calls.at(-1), ['tone', 'C1', undefined]);
  assert.equal(substitute('${TONE_DETECT(rx)}', scope), '');
});

test('DTMF_DETECT(set) / (remove)', () => {
  const { scope, calls, set } = setup();
  set('DTMF_DETECT(set)');
  set('DTMF_DETECT(remove)');
  set('DTMF_DETECT(on)');
  assert.deepEqual(calls, [
    ['dtmf', 'C1', true],
    ['dtmf', 'C1', false],
  ]);
  assert.deepEqual(scope.warnings, ['DTMF_DETECT: unknown option on']);
});
