// Unit tests for storage.js: session ids, history, and tolerance of broken browser storage.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserStores, cleanHistory, createStorage, newSessionId } from '../src/storage.js';

/** A Storage-like object over a Map, optionally with a byte quota. */
function memoryStorage(quota = Infinity) {
  const map = new Map();
  return {
    map,
    getItem: (k) => (map.has(k) ? map.get(k) : null),
    setItem(k, v) {
      const used = [...map].reduce((n, [key, val]) => n + (key === k ? 0 : key.length + val.length), 0);
      if (used + k.length + String(v).length > quota) throw new Error('QuotaExceededError');
      map.set(k, String(v));
    },
    removeItem: (k) => map.delete(k),
  };
}

const throwing = {
  getItem() {
    throw new Error('SecurityError');
  },
  setItem() {
    throw new Error('SecurityError');
  },
  removeItem() {
    throw new Error('SecurityError');
  },
};

const msg = (i, extra = {}) => ({ id: String(i), role: i % 2 ? 'bot' : 'user', text: `message ${i}`, ts: 1700000000000 + i, buttons: [], ...extra });

test('session ids are 128 random bits in hex', () => {
  const ids = new Set(Array.from({ length: 1000 }, () => newSessionId()));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
});

test('session ids come from crypto.getRandomValues', () => {
  let asked = 0;
  const fake = {
    getRandomValues(bytes) {
      asked = bytes.length;
      bytes.fill(0xab);
      return bytes;
    },
  };
  assert.equal(newSessionId(fake), 'ab'.repeat(16));
  assert.equal(asked, 16);
});

test('session id and history survive a new storage object (a page reload)', () => {
  const local = memoryStorage();
  const first = createStorage({ local });
  const id = newSessionId();
  first.setSessionId(id);
  first.saveHistory(id, [msg(1), msg(2, { payload: '/greet' })]);
  const second = createStorage({ local });
  assert.equal(second.getSessionId(), id);
  assert.deepEqual(second.loadHistory(id).map((m) => m.text), ['message 1', 'message 2']);
  assert.equal(second.loadHistory(id)[1].payload, '/greet');
});

test('history is kept per session', () => {
  const s = createStorage({ local: memoryStorage() });
  s.saveHistory('a'.repeat(32), [msg(1)]);
  assert.deepEqual(s.loadHistory('b'.repeat(32)), []);
});

test('stored history is capped to the last messages', () => {
  const local = memoryStorage();
  const s = createStorage({ local, limit: 200 });
  const id = newSessionId();
  s.saveHistory(id, Array.from({ length: 250 }, (_, i) => msg(i)));
  const loaded = createStorage({ local, limit: 200 }).loadHistory(id);
  assert.equal(loaded.length, 200);
  assert.equal(loaded[0].text, 'message 50');
  assert.equal(loaded.at(-1).text, 'message 249');
});

test('a full store keeps the most recent half that fits', () => {
  const local = memoryStorage(6000);
  const s = createStorage({ local });
  const id = newSessionId();
  s.saveHistory(id, Array.from({ length: 100 }, (_, i) => msg(i)));
  const saved = JSON.parse(local.map.get(`firststop:history:${id}`));
  assert.ok(saved.length > 0 && saved.length < 100);
  assert.equal(saved.at(-1).text, 'message 99');
});

test('a storage that throws on every call is tolerated and memory is used instead', () => {
  const s = createStorage({ local: throwing, session: throwing });
  assert.equal(s.getSessionId(), null);
  const id = newSessionId();
  assert.doesNotThrow(() => s.setSessionId(id));
  assert.equal(s.getSessionId(), id);
  assert.doesNotThrow(() => s.saveHistory(id, [msg(1)]));
  assert.doesNotThrow(() => s.clearHistory(id));
  assert.deepEqual(s.loadHistory(id), []);
  assert.equal(s.getState(), null);
  s.setState({ open: true, unread: 2 });
  assert.deepEqual(s.getState(), { open: true, unread: 2 });
});

test('missing storage (null) works from memory', () => {
  const s = createStorage();
  s.setSessionId('c'.repeat(32));
  assert.equal(s.getSessionId(), 'c'.repeat(32));
});

test('a window whose storage getters throw gives null stores', () => {
  const win = {};
  Object.defineProperty(win, 'localStorage', {
    get() {
      throw new Error('SecurityError: access denied');
    },
  });
  Object.defineProperty(win, 'sessionStorage', { get: () => memoryStorage() });
  const stores = browserStores(win);
  assert.equal(stores.local, null);
  assert.ok(stores.session);
});

test('a tampered session id is ignored', () => {
  const local = memoryStorage();
  local.setItem('firststop:session', '<script>alert(1)</script>');
  assert.equal(createStorage({ local }).getSessionId(), null);
  local.setItem('firststop:session', 'ABC');
  assert.equal(createStorage({ local }).getSessionId(), null);
});

test('corrupt history JSON gives an empty transcript', () => {
  const local = memoryStorage();
  const id = newSessionId();
  local.setItem(`firststop:history:${id}`, '{not json');
  assert.deepEqual(createStorage({ local }).loadHistory(id), []);
  local.setItem(`firststop:history:${id}`, '{"role":"bot"}');
  assert.deepEqual(createStorage({ local }).loadHistory(id), []);
});

test('cleanHistory keeps only well-formed messages and buttons', () => {
  const cleaned = cleanHistory([
    null,
    'text',
    { role: 'admin', text: 'x' },
    { role: 'bot', text: 42 },
    { id: 1, role: 'bot', text: 'Hi', ts: 5, buttons: [{ title: 'Yes', payload: '/affirm', extra: 1 }, { title: 3 }], html: '<b>' },
    { id: 2, role: 'error', text: '', code: 'weird', retry: { payload: '/greet' } },
    { id: 3, role: 'user', text: 'Hello', status: 'failed' },
    { id: 4, role: 'error', text: '', code: 'limited', retry: { payload: 'hi', of: '3', messageId: 'c0ffee0001' } },
  ]);
  assert.equal(cleaned.length, 4);
  assert.equal(cleaned[3].code, 'limited');
  assert.deepEqual(JSON.parse(JSON.stringify(cleaned[0])), { id: '1', role: 'bot', text: 'Hi', ts: 5, buttons: [{ title: 'Yes', payload: '/affirm', extra: 1 }] });
  assert.equal(cleaned[1].code, 'network');
  assert.deepEqual(cleaned[1].retry, { payload: '/greet', of: undefined, messageId: undefined });
  assert.deepEqual(cleaned[3].retry, { payload: 'hi', of: '3', messageId: 'c0ffee0001' }); // Retry sends the same message
  assert.equal(cleaned[2].status, 'failed');
});

test('panel state lives in session storage', () => {
  const session = memoryStorage();
  const s = createStorage({ session });
  assert.equal(s.getState(), null);
  s.setState({ open: true, unread: 3 });
  assert.deepEqual(createStorage({ session }).getState(), { open: true, unread: 3 });
  session.setItem('firststop:state', '{"open":"yes","unread":-4}');
  assert.deepEqual(createStorage({ session }).getState(), { open: false, unread: 0 });
});
