// Unit tests for feedback and advisors' replies: the message hash, what history keeps, and the console API client.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { textHash } from '../src/format.js';
import { cleanHistory } from '../src/storage.js';
import { readSettings } from '../src/settings.js';
import { createApi } from '../src/transport.js';

test('textHash is FNV-1a over UTF-8, 8 hex digits', () => {
  assert.equal(textHash(''), '811c9dc5');
  assert.equal(textHash('a'), 'e40c292c');
  assert.match(textHash('Grüß 🚀'), /^[0-9a-f]{8}$/);
  assert.notEqual(textHash('Grüß'), textHash('Gruss'));
});

test('history keeps votes, the comment flag and the advisor of a staff message, and drops junk', () => {
  const [bot, staff, user] = cleanHistory([
    { id: 1, role: 'bot', text: 'x', vote: 'down', said: true },
    { id: 2, role: 'staff', text: 'y', from: 'Julien', vote: 'sideways' },
    { id: 3, role: 'user', text: 'z', from: 'me', said: 'yes' },
  ]);
  assert.equal(bot.vote, 'down');
  assert.equal(bot.said, true);
  assert.equal(staff.from, 'Julien');
  assert.equal(staff.vote, undefined);
  assert.equal(user.from, undefined);
  assert.equal(user.said, undefined);
});

test('apiUrl is validated like serverUrl', () => {
  assert.equal(readSettings({ apiUrl: 'https://console.example/' }).settings.apiUrl, 'https://console.example');
  assert.equal(readSettings({ apiUrl: 'javascript:alert(1)' }).settings.apiUrl, '');
});

test('the API client sends no cookies and keeps only well-formed replies', async () => {
  const calls = [];
  const fetchImpl = async (url, init) => {
    calls.push({ url, init });
    return { ok: true, json: async () => ({ replies: [{ id: 1, text: 'Hello', from: 'J' }, { id: 'x', text: 'bad' }, { id: 2, text: '' }] }) };
  };
  const api = createApi({ apiUrl: 'https://c.example', fetchImpl });
  assert.deepEqual(await api.replies('ab'), [{ id: 1, text: 'Hello', from: 'J' }]);
  await api.feedback({ conversation: 'ab', index: 0, hash: '00000000', vote: 'up' });
  assert.equal(calls[0].url, 'https://c.example/api/conversations/ab/replies');
  assert.equal(calls[1].url, 'https://c.example/api/feedback');
  assert.ok(calls.every((c) => c.init.credentials === 'omit'));
  assert.equal(JSON.parse(calls[1].init.body).vote, 'up');
});

test('a failed replies call gives none', async () => {
  const api = createApi({ apiUrl: 'https://c.example', fetchImpl: async () => ({ ok: false, json: async () => ({}) }) });
  assert.deepEqual(await api.replies('ab'), []);
});
