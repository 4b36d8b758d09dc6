// The phone's live score and "still needed" list follow server/services/checklists.py.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { applicable, missing, score } from '../src/checklist.js';

const dorm = {
  scoring: 'deduction', max_score: 100,
  items: [
    { key: 'quilt', kind: 'deduction', points: 15 },
    { key: 'line', kind: 'deduction', points: 15 },
    { key: 'appliances', kind: 'pass_fail', points: 20 },
  ],
};

test('a dorm score is the maximum less deductions and failed items\' points', () => {
  assert.equal(score(dorm, { quilt: { deduct: 5 }, line: { deduct: 0 }, appliances: { result: 'pass' } }), 95);
  assert.equal(score(dorm, { quilt: { deduct: 5 }, line: { deduct: 2.5 }, appliances: { result: 'fail' } }), 72.5);
  assert.equal(score(dorm, { quilt: { deduct: 99 } }), 100); // out of range: not counted, and reported missing
  assert.deepEqual(missing(dorm, { quilt: { deduct: 99 } }).map((m) => m.key), ['quilt', 'line', 'appliances']);
});

test('a pass-rate checklist scores the share passed; failures may need a photo or note', () => {
  const four = {
    scoring: 'pass_rate', max_score: 100,
    items: [
      { key: 'rodent_signs', kind: 'pass_fail', photo_on_fail: true },
      { key: 'screens', kind: 'pass_fail', note_on_fail: true },
      { key: 'fridge', kind: 'number', min: 0, max: 8 },
      { key: 'who', kind: 'text', required: false },
    ],
  };
  assert.equal(score(four, {}), null);
  const answers = { rodent_signs: { result: 'fail' }, screens: { result: 'na' }, fridge: { value: 4 } };
  assert.equal(score(four, answers), 50);
  assert.deepEqual(missing(four, answers), [{ key: 'rodent_signs', problems: ['photo'] }]);
  answers.rodent_signs.photos = ['ab'.repeat(32)];
  assert.deepEqual(missing(four, answers), []);
});

test('only the latest published version of a family applies, to its room kinds', () => {
  const tpl = (id, family, number, status, kinds) => ({ id, data: { family, number, status, room_kinds: kinds } });
  const all = [tpl('1', 'four', 1, 'published', ['canteen_zone']), tpl('2', 'four', 2, 'published', ['canteen_zone']),
    tpl('3', 'four', 3, 'draft', ['canteen_zone']), tpl('4', 'dorm', 1, 'published', ['dorm']),
    tpl('5', 'fire', 1, 'published', [])];
  assert.deepEqual(applicable(all, 'room', { kind: 'canteen_zone' }).map((x) => x.id), ['2', '5']);
  assert.deepEqual(applicable(all, 'room', { kind: 'dorm' }).map((x) => x.id), ['4', '5']);
  assert.deepEqual(applicable(all, 'asset', { category: '家具' }).map((x) => x.id), []);
});

test('an answer started and emptied again is no answer; optional items may stay empty', () => {
  const tpl = { scoring: 'pass_rate', max_score: 100, items: [
    { key: 'beds', kind: 'number', min: 0, max: 8, required: false },
    { key: 'ok', kind: 'pass_fail' },
  ] };
  assert.deepEqual(missing(tpl, { beds: { note: '' }, ok: { result: 'pass' } }), []);
  assert.deepEqual(missing(tpl, { beds: {}, ok: {} }).map((m) => m.key), ['ok']);
});
