/** Rasa REST channel client: POST with a timeout, a safe automatic retry, and classified errors. */

import { LANGUAGES } from './settings.js';

/** A failed exchange: kind 'rejected' (4xx: input refused), 'limited' (429) or 'unreachable' (network, 5xx, timeout). */
export class TransportError extends Error {
  constructor(kind, status = 0, detail = '', retrySafe = false) {
    super(`${kind} ${status} ${detail}`);
    Object.assign(this, { name: 'TransportError', kind, status, detail, retrySafe });
  }
}

/** 'ok' or the TransportError kind for an HTTP status. */
export const classifyStatus = (status) =>
  status >= 200 && status < 300 ? 'ok' : status === 429 ? 'limited' : status >= 400 && status < 500 && status !== 408 ? 'rejected' : 'unreachable';

/** Rasa bot messages reduced to {from: 'bot'|'staff', text, buttons}, plus `language` when the message says a
 * supported one; null when the reply isn't a list. */
export function normalizeReplies(data) {
  if (!Array.isArray(data)) return null;
  return data.flatMap((m) => {
    if (!m || typeof m !== 'object') return [];
    const custom = Object(m.custom);
    const text = [m.text, custom.text, m.image].find((v) => typeof v === 'string' && v) || '';
    const buttons = (Array.isArray(m.buttons) ? m.buttons : [])
      .filter((b) => b && typeof b.title === 'string' && b.title.trim() && typeof b.payload === 'string')
      .map(({ title, payload }) => ({ title, payload }));
    const language = LANGUAGES.includes(m.language) ? { language: m.language } : {};
    return text || buttons.length ? [{ from: custom.from === 'staff' ? 'staff' : 'bot', text, buttons, ...language }] : [];
  });
}

/** The console's widget endpoints: feedback on a bot message and advisors' replies (no cookies sent). */
export function createApi({ apiUrl, fetchImpl = globalThis.fetch }) {
  const call = (path, init) => fetchImpl(`${apiUrl}/api/${path}`, { credentials: 'omit', ...init });
  return {
    feedback: (body) => call('feedback', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
    async replies(id) {
      const response = await call(`conversations/${id}/replies`);
      const data = response.ok ? await response.json() : null;
      return (Array.isArray(data?.replies) ? data.replies : []).filter((r) => r && Number.isInteger(r.id) && typeof r.text === 'string' && r.text);
    },
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** send() resolves to replies; it retries alone only what the server never handled, with the same `messageId`. */
export function createTransport({ serverUrl, fetchImpl = globalThis.fetch, timeoutMs = 20000, retries = 1, retryDelayMs = 800, wait = sleep }) {
  const url = `${serverUrl}/webhooks/rest/webhook`;

  async function once(body) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      let response;
      let data = null;
      try {
        const headers = { 'Content-Type': 'application/json' };
        response = await fetchImpl(url, { method: 'POST', headers, body: JSON.stringify(body), signal: controller.signal });
        data = await response.json().catch(() => null);
      } catch (err) {
        const timedOut = controller.signal.aborted;
        throw new TransportError('unreachable', 0, timedOut ? 'timeout' : String(err && err.message), !timedOut && !response);
      }
      const kind = classifyStatus(response.status);
      if (kind === 'rejected' || kind === 'limited') throw new TransportError(kind, response.status, data && typeof data.error === 'string' ? data.error : '');
      if (kind !== 'ok') throw new TransportError(kind, response.status, '', [502, 503, 504].includes(response.status));
      const replies = normalizeReplies(data);
      if (!replies) throw new TransportError('unreachable', response.status, 'reply is not a list');
      return replies;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async send({ sender, message, language, messageId }) {
      const body = { sender, message, metadata: { language }, ...(messageId && { message_id: messageId }) };
      for (let attempt = 0; ; attempt++) {
        try {
          return await once(body);
        } catch (err) {
          if (!err.retrySafe || attempt >= retries) throw err;
          await wait(retryDelayMs * (attempt + 1));
        }
      }
    },
  };
}
