/** Bot text to safe node descriptions (pure; see README.md): markup stays text, links only to http(s)/mailto:. */

// [label](url) | **bold** | *italic* | bare URL
const INLINE = /\[([^\]\n]+)\]\(\s*([^()\s]+(?:\([^()\s]*\)[^()\s]*)*)\s*\)|\*\*(?=\S)(.*?\S)\*\*|\*(?=[^\s*])([^*]*?[^\s*])\*|\bhttps?:\/\/[^\s<>"'`]+/g;

/** The normalised href of an absolute http(s) or mailto: URL, else null. */
export function safeHref(url) {
  if (typeof url !== 'string' || /[\0- \x7f-\x9f]/.test(url)) return null;
  try {
    const { protocol, hostname, href } = new URL(url);
    return protocol === 'mailto:' || (/^https?:$/.test(protocol) && hostname) ? href : null;
  } catch {
    return null;
  }
}

function pushText(nodes, text) {
  const last = nodes[nodes.length - 1];
  if (last && last.type === 'text') last.text += text;
  else if (text) nodes.push({ type: 'text', text });
}

function parseInline(text, depth) {
  const nodes = [];
  const re = new RegExp(INLINE);
  let pos = 0;
  for (let m; (m = re.exec(text)); ) {
    let [whole, label, url, bold, italic] = m;
    let node;
    if (label) {
      const children = parseInline(label, depth + 1).filter((n) => n.type !== 'link');
      const href = safeHref(url);
      node = href ? { type: 'link', href, children } : children;
    } else if (bold || italic) {
      if (depth > 2) continue;
      node = { type: bold ? 'strong' : 'em', children: parseInline(bold || italic, depth + 1) };
    } else {
      whole = whole.replace(/[.,;:!?]+$/, '');
      while (whole.endsWith(')') && whole.split('(').length < whole.split(')').length) whole = whole.slice(0, -1).replace(/[.,;:!?]+$/, '');
      const href = safeHref(whole);
      if (!href) continue;
      node = { type: 'link', href, children: [{ type: 'text', text: whole }] };
    }
    pushText(nodes, text.slice(pos, m.index));
    for (const n of [].concat(node)) n.type === 'text' ? pushText(nodes, n.text) : nodes.push(n);
    re.lastIndex = pos = m.index + whole.length;
  }
  pushText(nodes, text.slice(pos));
  return nodes;
}

/** FNV-1a (32 bits) of the text's UTF-8, 8 hex digits: names a bot message for feedback (as members/transcripts.py). */
export function textHash(text) {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(text)) h = Math.imul(h ^ b, 0x1000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** Parse one message's text into node descriptions; never produces HTML. */
export function formatMessage(text) {
  if (typeof text !== 'string') return [];
  return text
    .split(/\r\n?|\n/)
    .flatMap((line, i) => (i ? [{ type: 'br' }, ...parseInline(line, 0)] : parseInline(line, 0)));
}
