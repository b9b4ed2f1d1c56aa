/** Session id, transcript and panel state in browser storage that may throw: then kept in memory. */

import { LANGUAGES } from './settings.js';

const KEY = 'firststop:';

/** A new unguessable session id: 128 random bits as 32 hex characters. */
export function newSessionId(cryptoObj = globalThis.crypto) {
  const bytes = cryptoObj.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** {local, session} storages of a window, each null when even reading it throws. */
export function browserStores(win) {
  const get = (name) => {
    try {
      return win[name];
    } catch {
      return null;
    }
  };
  return { local: get('localStorage'), session: get('sessionStorage') };
}

/** Get/set over a Storage that never throws; values written by this page are also kept in memory. */
function safeStore(store) {
  const memory = new Map();
  const attempt = (fn, fallback) => {
    try {
      return store ? fn() : fallback;
    } catch {
      return fallback;
    }
  };
  return {
    get: (key) => (memory.has(key) ? memory.get(key) : attempt(() => store.getItem(key), null)),
    set(key, value) {
      memory.set(key, value);
      return attempt(() => (store.setItem(key, value), true), !store);
    },
    remove(key) {
      memory.delete(key);
      attempt(() => store.removeItem(key));
    },
  };
}

function parse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const isText = (v) => typeof v === 'string';

/** Well-formed stored messages only, so tampered or outdated data can't break rendering; `lang` is the language
 * the message was shown in (a supported one, else none). */
export function cleanHistory(list) {
  return (Array.isArray(list) ? list : [])
    .filter((m) => m && ['user', 'bot', 'staff', 'error'].includes(m.role) && isText(m.text))
    .map(({ id, role, text, ts, payload, status, code, retry, buttons, vote, said, from, lang }) => ({
      id: String(id),
      role,
      text,
      ts: Number.isFinite(ts) ? ts : 0,
      buttons: Array.isArray(buttons) ? buttons.filter((b) => b && isText(b.title) && isText(b.payload)) : [],
      payload: isText(payload) ? payload : undefined,
      status: status === 'failed' ? status : undefined,
      code: role === 'error' ? (code === 'rejected' || code === 'limited' ? code : 'network') : undefined,
      retry: retry && isText(retry.payload)
        ? { payload: retry.payload, of: isText(retry.of) ? retry.of : undefined, messageId: isText(retry.messageId) ? retry.messageId : undefined }
        : undefined,
      vote: vote === 'up' || vote === 'down' ? vote : undefined,
      said: said === true || undefined,
      from: role === 'staff' && isText(from) ? from : undefined,
      lang: LANGUAGES.includes(lang) ? lang : undefined,
    }));
}

/** Storage for one widget over Storage-like `local` and `session` objects (either may be null). */
export function createStorage({ local = null, session = null, limit = 200 } = {}) {
  const ls = safeStore(local);
  const ss = safeStore(session);
  const historyKey = (id) => `${KEY}history:${id}`;
  return {
    getSessionId: () => (/^[0-9a-f]{32}$/.test(ls.get(KEY + 'session')) ? ls.get(KEY + 'session') : null),
    setSessionId: (id) => ls.set(KEY + 'session', id),
    loadHistory: (id) => cleanHistory(parse(ls.get(historyKey(id)))).slice(-limit),
    saveHistory(id, messages) {
      let kept = messages.slice(-limit);
      while (!ls.set(historyKey(id), JSON.stringify(kept)) && kept.length > 1) kept = kept.slice(kept.length >> 1);
    },
    clearHistory: (id) => ls.remove(historyKey(id)),
    getState() {
      const state = parse(ss.get(KEY + 'state'));
      return state && { open: state.open === true, unread: Math.max(0, state.unread | 0) };
    },
    setState: ({ open, unread }) => ss.set(KEY + 'state', JSON.stringify({ open, unread })),
  };
}
