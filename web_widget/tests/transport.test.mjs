// Unit tests for transport.js with a fake fetch: request shape, replies, error classes, retries, timeout.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TransportError, classifyStatus, createTransport, normalizeReplies } from '../src/transport.js';

const json = (status, body) => ({ status, json: async () => body });

/** A fake fetch answering from a list of results (a response, or an Error to reject with); records calls. */
function fakeFetch(...results) {
  const calls = [];
  const fetchImpl = async (url, init) => {
    calls.push({ url, init, body: JSON.parse(init.body) });
    const next = results.length > 1 ? results.shift() : results[0];
    if (next instanceof Error) throw next;
    return typeof next === 'function' ? next(init) : next;
  };
  return { fetchImpl, calls };
}

const transport = (fetchImpl, extra = {}) => createTransport({ serverUrl: 'http://localhost:5005', fetchImpl, wait: async () => {}, ...extra });

test('posts the Rasa REST payload to the webhook', async () => {
  const { fetchImpl, calls } = fakeFetch(json(200, []));
  await transport(fetchImpl).send({ sender: 'abc', message: 'Hello', language: 'fr' });
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url, 'http://localhost:5005/webhooks/rest/webhook');
  assert.equal(calls[0].init.method, 'POST');
  assert.equal(calls[0].init.headers['Content-Type'], 'application/json');
  assert.deepEqual(calls[0].body, { sender: 'abc', message: 'Hello', metadata: { language: 'fr' } });
});

test('bot replies are normalised, staff messages recognised', async () => {
  const { fetchImpl } = fakeFetch(
    json(200, [
      { recipient_id: 'abc', text: 'Hi! What can I do?', buttons: [{ title: 'Funding', payload: '/ask_question{"topic":"funding"}' }] },
      { recipient_id: 'abc', text: 'Anna here, from the advisors.', custom: { from: 'staff' } },
    ]),
  );
  const replies = await transport(fetchImpl).send({ sender: 'abc', message: '/greet', language: 'en' });
  assert.deepEqual(replies, [
    { from: 'bot', text: 'Hi! What can I do?', buttons: [{ title: 'Funding', payload: '/ask_question{"topic":"funding"}' }] },
    { from: 'staff', text: 'Anna here, from the advisors.', buttons: [] },
  ]);
});

test('normalizeReplies drops empty and malformed items and bad buttons', () => {
  assert.equal(normalizeReplies({ text: 'x' }), null);
  assert.equal(normalizeReplies(null), null);
  assert.deepEqual(
    normalizeReplies([null, 'x', {}, { text: '' }, { custom: { text: 'from custom', from: 'staff' } }, { image: 'https://x.lu/a.png' }, { buttons: [{ title: ' ', payload: '/x' }, { title: 'Ok', payload: 3 }, { title: 'Yes', payload: '/affirm' }] }]),
    [
      { from: 'staff', text: 'from custom', buttons: [] },
      { from: 'bot', text: 'https://x.lu/a.png', buttons: [] },
      { from: 'bot', text: '', buttons: [{ title: 'Yes', payload: '/affirm' }] },
    ],
  );
});

test('status classification', () => {
  for (const s of [200, 201, 204]) assert.equal(classifyStatus(s), 'ok');
  for (const s of [400, 401, 403, 404, 413, 422]) assert.equal(classifyStatus(s), 'rejected', s);
  for (const s of [0, 301, 408, 500, 502, 503, 504]) assert.equal(classifyStatus(s), 'unreachable', s);
  assert.equal(classifyStatus(429), 'limited');
});

test('413 is rejected with the server detail and not retried', async () => {
  const { fetchImpl, calls } = fakeFetch(json(413, { error: 'message too long (max 1000 characters)' }));
  const err = await transport(fetchImpl).send({ sender: 'a', message: 'x'.repeat(2000), language: 'en' }).catch((e) => e);
  assert.ok(err instanceof TransportError);
  assert.equal(err.kind, 'rejected');
  assert.equal(err.status, 413);
  assert.equal(err.detail, 'message too long (max 1000 characters)');
  assert.equal(calls.length, 1);
});

test('400 without a JSON body is still a clean rejection', async () => {
  const { fetchImpl, calls } = fakeFetch({ status: 400, json: async () => JSON.parse('<html>') });
  const err = await transport(fetchImpl).send({ sender: 'a', message: 'x', language: 'en' }).catch((e) => e);
  assert.equal(err.kind, 'rejected');
  assert.equal(err.detail, '');
  assert.equal(calls.length, 1);
});

test('500 is unreachable and not retried: the bot may have acted', async () => {
  const { fetchImpl, calls } = fakeFetch(json(500, { error: 'boom' }));
  const err = await transport(fetchImpl).send({ sender: 'a', message: 'x', language: 'en' }).catch((e) => e);
  assert.equal(err.kind, 'unreachable');
  assert.equal(err.status, 500);
  assert.equal(calls.length, 1);
});

test('503 is retried once, then succeeds', async () => {
  const { fetchImpl, calls } = fakeFetch(json(503, null), json(200, [{ text: 'Back again' }]));
  const replies = await transport(fetchImpl).send({ sender: 'a', message: 'x', language: 'en' });
  assert.equal(replies[0].text, 'Back again');
  assert.equal(calls.length, 2);
});

test('a message and its automatic retries go with the same message id', async () => {
  const { fetchImpl, calls } = fakeFetch(json(503, { error: 'busy' }), json(200, []));
  await transport(fetchImpl).send({ sender: 'a', message: 'yes', language: 'en', messageId: 'c0ffee0001' });
  assert.equal(calls.length, 2);
  assert.deepEqual(calls.map((c) => c.body.message_id), ['c0ffee0001', 'c0ffee0001']);
});

test('a refused connection is retried, then reported unreachable', async () => {
  const { fetchImpl, calls } = fakeFetch(new TypeError('Failed to fetch'));
  const waits = [];
  const t = transport(fetchImpl, { retries: 2, retryDelayMs: 100, wait: async (ms) => waits.push(ms) });
  const err = await t.send({ sender: 'a', message: 'x', language: 'en' }).catch((e) => e);
  assert.equal(err.kind, 'unreachable');
  assert.equal(err.status, 0);
  assert.equal(calls.length, 3);
  assert.deepEqual(waits, [100, 200]);
});

test('a timeout aborts the request, is unreachable and is not retried', async () => {
  const hang = (init) =>
    new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
  const { fetchImpl, calls } = fakeFetch(hang);
  const started = Date.now();
  const err = await transport(fetchImpl, { timeoutMs: 50 }).send({ sender: 'a', message: 'x', language: 'en' }).catch((e) => e);
  assert.equal(err.kind, 'unreachable');
  assert.equal(err.detail, 'timeout');
  assert.equal(calls.length, 1);
  assert.ok(Date.now() - started < 2000);
});

test('a 200 reply that is not a list is unreachable, not a crash', async () => {
  const { fetchImpl } = fakeFetch({ status: 200, json: async () => { throw new SyntaxError('Unexpected token <'); } });
  const err = await transport(fetchImpl).send({ sender: 'a', message: 'x', language: 'en' }).catch((e) => e);
  assert.equal(err.kind, 'unreachable');
});

test('429 is "limited" with the server\'s message, and not retried at once', async () => {
  const { fetchImpl, calls } = fakeFetch(json(429, { error: "You're sending messages faster than we can take them in.", retry_after: 7 }));
  const err = await transport(fetchImpl).send({ sender: 'a', message: 'x', language: 'en' }).catch((e) => e);
  assert.ok(err instanceof TransportError);
  assert.equal(err.kind, 'limited');
  assert.equal(err.status, 429);
  assert.match(err.detail, /faster than we can take them in/);
  assert.equal(calls.length, 1);
});
