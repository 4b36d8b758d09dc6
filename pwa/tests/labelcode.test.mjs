// The PWA's label-code rules must agree with the server's: both are tested on the same vectors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { codeFromScan, makeCode, parseCode, payloadUrl } from '../src/labelcode.js';

const vectors = JSON.parse(
  readFileSync(new URL('../../qr_labels/code_vectors.json', import.meta.url), 'utf8'),
);

test('codes are made from kind and serial', () => {
  for (const { kind, serial, code } of vectors.valid) {
    assert.equal(makeCode(kind, serial), code);
    assert.deepEqual(parseCode(code), { ok: true, code, kind, serial });
  }
});

test('typed codes are normalised', () => {
  for (const { input, code } of vectors.normalise) {
    assert.equal(parseCode(input).code, code, input);
  }
});

test('invalid codes say what is wrong', () => {
  for (const { input, error } of vectors.invalid) {
    assert.deepEqual(parseCode(input), { ok: false, error }, input);
  }
});

test('payload URLs', () => {
  for (const { base, code, url } of vectors.payloads) assert.equal(payloadUrl(base, code), url);
});

test('scanned text yields the code', () => {
  for (const { input, code, error } of vectors.scans) {
    const parsed = codeFromScan(input);
    if (error) assert.deepEqual(parsed, { ok: false, error }, input);
    else assert.equal(parsed.code, code, input);
  }
});

test('every single-character typo and transposition is caught', () => {
  for (const { code } of vectors.valid) {
    for (let i = 0; i < code.length; i += 1) {
      for (const ch of '0123456789ABCDEFGHJKMNPQRSTVWXYZ') {
        if (ch === code[i]) continue;
        const typo = code.slice(0, i) + ch + code.slice(i + 1);
        assert.equal(parseCode(typo).ok, false, typo);
      }
      for (const j of [i + 1, i + 2]) {
        if (j >= code.length || code[i] === code[j]) continue;
        const swap = code.slice(0, i) + code[j] + code.slice(i + 1, j) + code[i] + code.slice(j + 1);
        assert.equal(parseCode(swap).ok, false, swap);
      }
    }
  }
});
