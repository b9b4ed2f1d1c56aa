/** DOM building: elements made with createElement, strings set as text, never parsed as HTML. */

const ICONS = {
  chat: 'M3 4h18v13H9l-5 4v-4H3z',
  close: 'M6 6l12 12M18 6L6 18',
  restart: 'M4 4v6h6M5.5 15a7 7 0 1 0 1.6-7.3L4 10',
  send: 'M4 12l16-8-6 16-3-7-7-1z',
};

/** An element with attributes (text → textContent, on* → listener) and children (nodes or strings). */
export function h(doc, tag, attrs = {}, children = []) {
  const el = tag === 'svg' || tag === 'path' ? doc.createElementNS('http://www.w3.org/2000/svg', tag) : doc.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value == null) continue;
    if (key === 'text') el.textContent = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : value);
  }
  el.append(...children.filter(Boolean));
  return el;
}

/** A named part: class "fs-NAME" and the test hook data-fs="NAME". */
const part = (doc, tag, name, attrs = {}, children = []) =>
  h(doc, tag, { ...attrs, class: `fs-${name} ${attrs.class || ''}`.trim(), 'data-fs': name }, children);

const icon = (doc, name) =>
  h(doc, 'svg', { viewBox: '0 0 24 24', 'aria-hidden': 'true', class: `fs-icon fs-icon-${name}` }, [h(doc, 'path', { d: ICONS[name] })]);

const hidden = (doc, text) => h(doc, 'span', { class: 'fs-sr', text });

/** DOM for format.js node descriptions; links open in the same tab, as the transcript survives navigation. */
export function renderNodes(doc, nodes) {
  const frag = doc.createDocumentFragment();
  for (const n of nodes) {
    if (n.type === 'text') frag.append(n.text);
    else if (n.type === 'br') frag.append(h(doc, 'br'));
    else if (n.type === 'strong' || n.type === 'em') frag.append(h(doc, n.type, {}, [renderNodes(doc, n.children)]));
    else if (n.type === 'link' && /^(https?|mailto):/i.test(n.href)) frag.append(h(doc, 'a', { class: 'fs-link', href: n.href }, [renderNodes(doc, n.children)]));
    else if (n.children) frag.append(renderNodes(doc, n.children));
  }
  return frag;
}

/** "14:05" in the interface language. */
export const formatTime = (ts, lang) => new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit' }).format(ts);

/** Thumbs up/down (aria-pressed) under a bot message; after a thumbs down, an optional comment. */
function renderFeedback(doc, msg, t, onVote) {
  const thumb = (vote, glyph) =>
    part(doc, 'button', 'vote', { type: 'button', 'aria-label': t(vote), 'aria-pressed': String(msg.vote === vote), 'data-vote': vote, onclick: () => onVote(msg, vote) }, [h(doc, 'span', { 'aria-hidden': 'true', text: glyph })]);
  const group = part(doc, 'div', 'feedback', { role: 'group', 'aria-label': t('rate') }, [thumb('up', '👍'), thumb('down', '👎')]);
  if (msg.said) group.append(h(doc, 'span', { role: 'status', text: t('thanks') }));
  else if (msg.vote === 'down') {
    const input = part(doc, 'input', 'comment', { 'aria-label': t('why'), placeholder: t('why'), maxlength: 500 });
    group.append(h(doc, 'form', { onsubmit: (e) => (e.preventDefault(), onVote(msg, 'down', input.value.trim())) }, [input, part(doc, 'button', 'comment-send', { type: 'submit', text: t('send') })]));
  }
  return group;
}

/** One transcript entry, labelled in the language it was shown in (`msg.lang`), for screen readers. */
export function renderMessage(doc, msg, { translate, lang, title, format, onRetry, onVote }) {
  const { role } = msg;
  const shownIn = msg.lang || lang;
  const t = translate(shownIn);
  const li = h(doc, 'div', { class: `fs-message fs-${role}${msg.status ? ' fs-failed' : ''}`, 'data-fs': 'message', 'data-role': role, 'data-id': msg.id, lang: msg.lang });
  if (role === 'error') {
    li.append(h(doc, 'p', { class: 'fs-bubble', text: t(msg.code) }));
    if (msg.retry) li.append(part(doc, 'button', 'retry', { type: 'button', text: t('retry'), onclick: () => onRetry(msg) }));
    return li;
  }
  const who = role === 'user' ? t('you') : role === 'staff' ? [t('staff'), msg.from].filter(Boolean).join(' · ') : title;
  const bubble = h(doc, 'div', { class: 'fs-bubble' });
  if (role === 'user') bubble.textContent = msg.text;
  else bubble.append(renderNodes(doc, format(msg.text)));
  li.append(
    role === 'staff' ? h(doc, 'span', { class: 'fs-who', text: who }) : hidden(doc, who + ': '),
    bubble,
    h(doc, 'span', { class: 'fs-meta' }, [
      msg.ts && h(doc, 'time', { datetime: new Date(msg.ts).toISOString(), text: formatTime(msg.ts, shownIn) }),
      msg.status && h(doc, 'span', { class: 'fs-failed-note', text: ' · ' + t('notSent') }),
    ]),
  );
  if (role === 'bot' && onVote) li.append(renderFeedback(doc, msg, t, onVote));
  return li;
}

/** Quick-reply buttons for the last bot message. */
export const renderQuickReplies = (doc, buttons, onPick) =>
  buttons.map((b) => part(doc, 'button', 'quick-reply', { type: 'button', text: b.title, onclick: () => onPick(b) }));

/** The shell's strings by part: shown as text, and as the accessible name of panel, group and icon buttons. */
const TEXTS = { talk: 'talkToPerson', notice: 'privacy', privacy: 'privacyLink', label: 'inputLabel' };
const NAMES = { panel: 'panel', restart: 'restart', close: 'closeChat', quick: 'suggestions', send: 'send' };

/** Put the shell's strings in language `lang` (translated by `t`) and say it on the container for screen readers. */
export function labelShell(ui, t, lang) {
  ui.root.lang = lang;
  ui.input.placeholder = t('placeholder');
  for (const [name, key] of Object.entries(TEXTS)) ui[name].textContent = t(key);
  for (const [name, key] of Object.entries(NAMES)) ui[name].setAttribute('aria-label', t(key));
}

/** The launcher and the (closed) panel, to be labelled by labelShell; returns the parts the widget updates. */
export function buildShell(doc, settings) {
  const p = (tag, name, attrs, children) => part(doc, tag, name, attrs, children);
  const button = (name, attrs, children) => p('button', name, { type: 'button', ...attrs }, children);
  const iconButton = (name) => button(name, { class: 'fs-icon-btn' }, [icon(doc, name)]);
  const badge = p('span', 'badge', { hidden: true, 'aria-hidden': 'true' });
  const talk = button('talk-to-person');
  const restart = iconButton('restart');
  const close = iconButton('close');
  const privacy = button('privacy-link');
  const notice = h(doc, 'span');
  const log = p('div', 'log', { role: 'log', 'aria-live': 'polite' });
  const status = hidden(doc, '');
  const typing = p('div', 'typing', { role: 'status', hidden: true }, [p('span', 'dots', { 'aria-hidden': 'true' }, [h(doc, 'i'), h(doc, 'i'), h(doc, 'i')]), status]);
  const quick = p('div', 'quick-replies', { role: 'group', hidden: true });
  const scroll = h(doc, 'div', { class: 'fs-scroll' }, [p('p', 'privacy-notice', {}, [notice, ' ', privacy]), log, typing, quick]);
  const input = p('textarea', 'input', { id: 'fs-input', rows: 1, 'aria-describedby': 'fs-counter fs-input-error' });
  const counter = p('span', 'counter', { id: 'fs-counter', hidden: true });
  const inputError = p('p', 'input-error', { id: 'fs-input-error', role: 'alert' });
  const label = h(doc, 'label', { for: 'fs-input', class: 'fs-sr' });
  const send = button('send', { type: 'submit' }, [icon(doc, 'send')]);
  const form = h(doc, 'form', { class: 'fs-composer', novalidate: true }, [label, h(doc, 'div', { class: 'fs-row' }, [input, send]), inputError, counter]);
  const panel = p('div', 'panel', { id: 'fs-panel', role: 'dialog', hidden: true }, [
    h(doc, 'div', { class: 'fs-header' }, [h(doc, 'h2', { class: 'fs-title', text: settings.title }), talk, restart, close]),
    scroll,
    form,
  ]);
  const launcher = button('launcher', { 'aria-expanded': 'false', 'aria-controls': 'fs-panel' }, [icon(doc, 'chat'), icon(doc, 'close'), badge]);
  const root = p('div', 'root', { id: 'fs-root', class: `fs-${settings.position}` }, [panel, launcher]);
  root.style.cssText = `--fs-primary:${settings.primaryColor};--fs-on-primary:${settings.onPrimaryColor};--fs-accent:${settings.accentColor}`;
  return { root, launcher, badge, panel, talk, restart, close, notice, privacy, log, status, typing, quick, scroll, input, counter, inputError, form, label, send };
}
