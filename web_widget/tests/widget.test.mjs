// Unit tests for the pure parts of widget.js: the payload contract and the length rule shared with the server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PAYLOADS, charCount } from '../src/widget.js';

test('payloads match the server contract', () => {
  assert.deepEqual(PAYLOADS, {
    greet: '/greet',
    restart: '/restart',
    human: '/request_human',
    privacy: '/ask_question{"topic":"privacy"}',
  });
  assert.deepEqual(JSON.parse(PAYLOADS.privacy.slice('/ask_question'.length)), { topic: 'privacy' });
});

test('characters are counted as code points, as Python len() does on the server', () => {
  assert.equal(charCount('abc'), 3);
  assert.equal(charCount('Grüß'), 4);
  assert.equal(charCount('🚀🇱🇺'), 3); // rocket + two regional indicators
  assert.equal(charCount(''), 0);
});
