/** The widget: transcript state, an ordered send queue and the panel, over storage, transport and render. */

import { formatMessage, textHash } from './format.js';
import { conversationLanguage } from './i18n.js';
import { buildShell, labelShell, renderMessage, renderQuickReplies } from './render.js';
import { newSessionId } from './storage.js';

export const PAYLOADS = { greet: '/greet', restart: '/restart', human: '/request_human', privacy: '/ask_question{"topic":"privacy"}' };

/** Characters counted as the server counts them (code points), so both apply the same limit. */
export const charCount = (text) => [...text].length;

/** Mount the widget in doc.body and return its API. The interface starts in the conversation's language (else
 * `pageLang`) and follows each bot message's. */
export function createWidget({ doc, settings, pageLang, translate, storage, transport, api, now = Date.now, newId = newSessionId }) {
  let sessionId = storage.getSessionId();
  if (!sessionId) storage.setSessionId((sessionId = newId()));
  let messages = storage.loadHistory(sessionId);
  let lang, t;
  const ui = buildShell(doc, settings);
  const view = { translate, title: settings.title, format: formatMessage, onRetry: retry, onVote: api && vote };
  setLanguage(conversationLanguage(messages, pageLang));
  let { open, unread } = storage.getState() || { open: settings.open, unread: 0 };
  let greeted = messages.length > 0;
  let queue = Promise.resolve();
  const active = new Set();
  let slowTimer;
  let seq = 0;
  const nextId = () => now().toString(36) + seq++;

  const persist = () => storage.saveHistory(sessionId, messages);
  const liFor = (id) => [...ui.log.children].find((li) => li.dataset.id === id);
  const scrollToEnd = () => (ui.scroll.scrollTop = ui.scroll.scrollHeight);

  /** Show a message, labelled in (and stored with) the current language. */
  function add(msg) {
    msg.lang = lang;
    messages.push(msg);
    while (messages.length > settings.historyLimit) liFor(messages.shift().id)?.remove();
    persist();
    ui.log.append(renderMessage(doc, msg, view));
    refreshQuickReplies();
    scrollToEnd();
  }

  /** The interface, and the language the next messages go out in, follow the latest bot message's language. */
  function setLanguage(next) {
    if (!next || next === lang) return;
    view.lang = lang = next;
    t = translate(lang);
    labelShell(ui, t, lang);
  }

  function redraw(msg) {
    persist();
    liFor(msg.id)?.replaceWith(renderMessage(doc, msg, view));
  }

  /** A thumb toggles its vote; a comment goes with a thumbs down. Feedback never gets in the visitor's way. */
  function vote(msg, value, comment) {
    if (comment === undefined) msg.vote = msg.vote === value ? undefined : value;
    msg.said = comment !== undefined || undefined;
    redraw(msg);
    const li = liFor(msg.id); // keep the keyboard where it was: on the comment box, else on the thumb
    (li?.querySelector('[data-fs=comment]') || li?.querySelector(`[data-vote=${value}]`))?.focus();
    const index = messages.filter((m) => m.role === 'bot').indexOf(msg);
    api.feedback({ conversation: sessionId, index, hash: textHash(msg.text), vote: msg.vote || null, comment }).catch(() => {});
  }

  /** Advisors' replies written in the console since the visitor was last here, shown as staff messages. */
  function fetchReplies() {
    if (!api || !messages.length) return;
    const session = sessionId;
    api.replies(session).then((replies) => {
      const fresh = replies.filter((r) => session === sessionId && !messages.some((m) => m.id === 'r' + r.id));
      fresh.forEach((r) => add({ id: 'r' + r.id, role: 'staff', text: r.text, from: String(r.from || ''), ts: Date.parse(r.at) || now(), buttons: [] }));
      if (fresh.length) noteUnread(fresh.length);
    }).catch(() => {});
  }

  function setStatus(id, status) {
    const msg = messages.find((m) => m.id === id);
    if (!msg || msg.status === status) return;
    msg.status = status;
    redraw(msg);
  }

  /** Buttons show only while their message is the last one: anything the visitor sends hides them. */
  function refreshQuickReplies() {
    const last = messages[messages.length - 1];
    const buttons = last && (last.role === 'bot' || last.role === 'staff') ? last.buttons : [];
    ui.quick.replaceChildren(...renderQuickReplies(doc, buttons, (b) => send(b.payload, b.title) || ui.input.focus()));
    ui.quick.hidden = !buttons.length;
  }

  function refreshTyping() {
    const waiting = [...active].some((job) => job.session === sessionId);
    if (waiting !== ui.typing.hidden) return;
    ui.typing.hidden = !waiting;
    ui.status.className = 'fs-sr';
    ui.status.textContent = waiting ? t('typing') : '';
    clearTimeout(slowTimer);
    if (!waiting) return;
    scrollToEnd();
    slowTimer = setTimeout(() => {
      ui.status.className = '';
      ui.status.textContent = t('slow');
    }, 8000);
  }

  /** Queue a payload; a Retry keeps its message id, so the server never runs it twice. */
  function enqueue(payload, of, messageId = newId()) {
    const job = { session: sessionId, payload, of, messageId };
    active.add(job);
    refreshTyping();
    queue = queue.then(() => deliver(job)).finally(() => active.delete(job) && refreshTyping());
  }

  async function deliver(job) {
    let replies, error;
    try {
      if (job.session === sessionId) replies = await transport.send({ sender: job.session, message: job.payload, language: lang, messageId: job.messageId });
    } catch (err) {
      error = err;
    }
    if (job.session !== sessionId) return; // restarted meanwhile
    if (job.of) setStatus(job.of, error ? 'failed' : undefined);
    if (!error) {
      for (const r of replies) setLanguage(r.language), add({ id: nextId(), role: r.from, text: r.text, buttons: r.buttons, ts: now() });
      return noteUnread(replies.length);
    }
    // A refused message would be refused again: only an unreachable or busy server gets a Retry button.
    const rejected = error.kind === 'rejected';
    add({ id: nextId(), role: 'error', text: '', code: rejected || error.kind === 'limited' ? error.kind : 'network', ts: now(), buttons: [], retry: rejected ? undefined : { payload: job.payload, of: job.of, messageId: job.messageId } });
    noteUnread(1);
  }

  /** Send a payload; with `shown`, it first appears as the visitor's message. */
  function send(payload, shown) {
    const of = shown === undefined ? undefined : nextId();
    if (of) add({ id: of, role: 'user', text: shown, ts: now(), buttons: [], payload });
    enqueue(payload, of);
  }

  function retry(msg) {
    messages = messages.filter((m) => m !== msg);
    liFor(msg.id).remove();
    setStatus(msg.retry.of, undefined);
    persist();
    refreshQuickReplies();
    enqueue(msg.retry.payload, msg.retry.of, msg.retry.messageId);
    ui.input.focus();
  }

  function greet() {
    if (!greeted) enqueue(PAYLOADS.greet);
    greeted = true;
  }

  function restart() {
    transport.send({ sender: sessionId, message: PAYLOADS.restart, language: lang }).catch(() => {});
    storage.clearHistory(sessionId);
    storage.setSessionId((sessionId = newId()));
    messages = [];
    queue = Promise.resolve();
    greeted = false;
    ui.log.replaceChildren();
    refreshQuickReplies();
    refreshTyping();
    showInputError('');
    greet();
    ui.input.focus();
  }

  function showInputError(text) {
    ui.inputError.textContent = text;
    ui.input.setAttribute('aria-invalid', !!text);
  }

  function refreshCounter() {
    const n = charCount(ui.input.value);
    const max = settings.maxLength;
    ui.counter.hidden = n < max * 0.8;
    ui.counter.textContent = `${n} / ${max}`;
    ui.counter.classList.toggle('fs-over', n > max);
    if (n <= max) showInputError('');
    ui.input.style.height = 'auto';
    ui.input.style.height = Math.min(ui.input.scrollHeight + 2, 120) + 'px';
  }

  function submit(event) {
    event.preventDefault();
    const text = ui.input.value.trim();
    const n = charCount(text);
    if (n > settings.maxLength) return showInputError(t('tooLong', { n, max: settings.maxLength }));
    if (!text) return;
    ui.input.value = '';
    refreshCounter();
    send(text, text);
  }

  function refreshBadge() {
    ui.badge.hidden = !unread;
    ui.badge.textContent = unread > 9 ? '9+' : unread;
    const label = t(open ? 'closeChat' : 'openChat');
    ui.launcher.setAttribute('aria-label', unread ? `${label} (${t('unread', { n: unread })})` : label);
    storage.setState({ open, unread });
  }

  function noteUnread(n) {
    if (!open) unread += n;
    refreshBadge();
  }

  function setOpen(value, focus = true) {
    open = value;
    ui.panel.hidden = !open;
    ui.root.classList.toggle('fs-is-open', open);
    ui.launcher.setAttribute('aria-expanded', open);
    if (open) unread = 0;
    if (open) greet(), fetchReplies();
    if (focus) (open ? ui.input : ui.launcher).focus();
    scrollToEnd();
    refreshBadge();
  }

  const on = (el, type, fn) => el.addEventListener(type, fn);
  on(ui.launcher, 'click', () => setOpen(!open));
  on(ui.close, 'click', () => setOpen(false));
  on(ui.root, 'keydown', (e) => e.key === 'Escape' && open && setOpen(false));
  on(ui.talk, 'click', () => send(PAYLOADS.human, t('talkToPerson')));
  on(ui.privacy, 'click', () => send(PAYLOADS.privacy, t('privacyQuestion')));
  on(ui.restart, 'click', restart);
  on(ui.form, 'submit', submit);
  on(ui.input, 'input', refreshCounter);
  on(ui.input, 'keydown', (e) => e.key === 'Enter' && !e.shiftKey && !e.isComposing && submit(e));

  ui.log.append(...messages.map((m) => renderMessage(doc, m, view)));
  refreshQuickReplies();
  doc.body.append(ui.root);
  setOpen(open, false); // restored open after navigation: don't take the page's focus
  if (!open) fetchReplies(); // the badge tells of a reply waiting

  return { root: ui.root, open: () => setOpen(true), close: () => setOpen(false), toggle: () => setOpen(!open), restart, session: () => sessionId };
}
