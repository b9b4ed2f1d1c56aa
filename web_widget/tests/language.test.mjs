// Unit tests for the conversation's language: read from the bot's replies, kept in the history, chosen on load.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conversationLanguage } from '../src/i18n.js';
import { cleanHistory, createStorage } from '../src/storage.js';
import { createTransport, normalizeReplies } from '../src/transport.js';

test('a bot message says its language when it is one the widget speaks', () => {
  const replies = normalizeReplies([
    { text: 'Guten Tag', language: 'de' },
    { text: 'Moien', language: 'lb' },
    { text: 'Hola', language: 'es' },
    { text: 'Hi', language: { code: 'fr' } },
    { text: 'Hello' },
  ]);
  assert.deepEqual(replies.map((r) => r.language), ['de', 'lb', undefined, undefined, undefined]);
  assert.deepEqual(replies[0], { from: 'bot', text: 'Guten Tag', buttons: [], language: 'de' });
});

test('the history keeps the language each message was shown in, and drops anything else', () => {
  const [de, bogus, none] = cleanHistory([
    { id: 1, role: 'bot', text: 'Hallo', lang: 'de' },
    { id: 2, role: 'user', text: 'x', lang: 'de"><script>' },
    { id: 3, role: 'error', text: '' },
  ]);
  assert.equal(de.lang, 'de');
  assert.equal(bogus.lang, undefined);
  assert.equal(none.lang, undefined);
});

test('the conversation keeps the language of its latest message, else the page language', () => {
  assert.equal(conversationLanguage([], 'fr'), 'fr');
  assert.equal(conversationLanguage([{ lang: 'en' }, { lang: 'de' }, {}], 'fr'), 'de');
  assert.equal(conversationLanguage([{ role: 'bot' }], 'en'), 'en');
});

test('the language survives a reload through the stored transcript', () => {
  const map = new Map();
  const local = { getItem: (k) => map.get(k) ?? null, setItem: (k, v) => map.set(k, String(v)), removeItem: (k) => map.delete(k) };
  createStorage({ local }).saveHistory('a'.repeat(32), [{ id: '1', role: 'bot', text: 'Hallo', ts: 1, buttons: [], lang: 'de' }]);
  const reloaded = createStorage({ local }).loadHistory('a'.repeat(32));
  assert.equal(conversationLanguage(reloaded, 'en'), 'de');
});

test('the conversation language goes to the server as the message metadata', async () => {
  const bodies = [];
  const fetchImpl = async (url, init) => (bodies.push(JSON.parse(init.body)), { status: 200, json: async () => [] });
  await createTransport({ serverUrl: 'http://rasa.test', fetchImpl }).send({ sender: 's', message: 'Hallo', language: 'de' });
  assert.deepEqual(bodies, [{ sender: 's', message: 'Hallo', metadata: { language: 'de' } }]);
});
