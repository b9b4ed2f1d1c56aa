// Unit tests for format.js: markup becomes node descriptions, and nothing unsafe gets through.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMessage, safeHref } from '../src/format.js';

const text = (t) => ({ type: 'text', text: t });
const link = (href, label = href) => ({ type: 'link', href, children: [text(label)] });
const plain = (nodes) => nodes.map((n) => (n.type === 'text' ? n.text : n.type === 'br' ? '\n' : plain(n.children))).join('');
const allNodes = (nodes) => nodes.flatMap((n) => [n, ...(n.children ? allNodes(n.children) : [])]);
const TYPES = new Set(['text', 'br', 'strong', 'em', 'link']);

test('plain text is one text node', () => {
  assert.deepEqual(formatMessage('Hello, how can I help?'), [text('Hello, how can I help?')]);
});

test('empty or non-string text gives no nodes', () => {
  assert.deepEqual(formatMessage(''), []);
  for (const v of [undefined, null, 42, { text: 'x' }]) assert.deepEqual(formatMessage(v), []);
});

test('a script tag stays text', () => {
  const src = '<script>alert("x")</script>';
  assert.deepEqual(formatMessage(src), [text(src)]);
});

test('an img onerror payload stays text', () => {
  const src = 'Look: <img src=x onerror="alert(document.cookie)"> ok';
  assert.deepEqual(formatMessage(src), [text(src)]);
});

test('HTML entities and attributes are not interpreted', () => {
  const src = '&lt;b&gt; <a href="javascript:alert(1)">click</a> <svg onload=alert(1)>';
  assert.equal(plain(formatMessage(src)), src);
  assert.ok(allNodes(formatMessage(src)).every((n) => n.type === 'text'));
});

test('bold, italic and line breaks', () => {
  assert.deepEqual(formatMessage('**Fit 4 Start** is *open*\nApply now'), [
    { type: 'strong', children: [text('Fit 4 Start')] },
    text(' is '),
    { type: 'em', children: [text('open')] },
    { type: 'br' },
    text('Apply now'),
  ]);
});

test('Windows and old Mac line endings become breaks', () => {
  assert.deepEqual(formatMessage('a\r\nb\rc').map((n) => n.type), ['text', 'br', 'text', 'br', 'text']);
});

test('lone or spaced asterisks stay text', () => {
  for (const src of ['2 * 3 * 4', '**', '* not italic *', 'a ** b']) assert.deepEqual(formatMessage(src), [text(src)], src);
});

test('markdown links are built with a normalised href', () => {
  assert.deepEqual(formatMessage('See [the clusters](https://www.luxinnovation.lu/clusters).'), [
    text('See '),
    link('https://www.luxinnovation.lu/clusters', 'the clusters'),
    text('.'),
  ]);
});

test('mailto links are allowed', () => {
  assert.deepEqual(formatMessage('[Write to us](mailto:info@luxinnovation.lu)'), [link('mailto:info@luxinnovation.lu', 'Write to us')]);
});

test('a bold label inside a link is kept', () => {
  const [node] = formatMessage('[**Apply**](https://example.lu/apply)');
  assert.equal(node.type, 'link');
  assert.deepEqual(node.children, [{ type: 'strong', children: [text('Apply')] }]);
});

test('a link inside bold text is kept', () => {
  const [node] = formatMessage('**see https://example.lu**');
  assert.equal(node.type, 'strong');
  assert.deepEqual(node.children, [text('see '), link('https://example.lu/', 'https://example.lu')]);
});

test('bare https URLs become links without trailing punctuation', () => {
  assert.deepEqual(formatMessage('Go to https://www.luxinnovation.lu/funding, then apply.'), [
    text('Go to '),
    link('https://www.luxinnovation.lu/funding', 'https://www.luxinnovation.lu/funding'),
    text(', then apply.'),
  ]);
});

test('a bare URL in parentheses leaves the closing parenthesis out', () => {
  const nodes = formatMessage('(see https://example.lu/a_(b)/c)');
  assert.deepEqual(nodes, [text('(see '), link('https://example.lu/a_(b)/c'), text(')')]);
});

test('a bare URL ends at a quote or angle bracket', () => {
  const nodes = formatMessage('"https://example.lu/x"<b>');
  assert.deepEqual(nodes, [text('"'), link('https://example.lu/x'), text('"<b>')]);
});

test('javascript: and other schemes in markdown links keep only the label, as text', () => {
  const cases = [
    '[click](javascript:alert(1))',
    '[click](JaVaScRiPt:alert(1))',
    '[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
    '[click](vbscript:msgbox(1))',
    '[click](file:///etc/passwd)',
    '[click](//evil.test/x)',
    '[click](/relative/path)',
  ];
  for (const src of cases) assert.deepEqual(formatMessage(src), [text('click')], src);
});

test('scheme obfuscation with control characters or spaces is refused', () => {
  for (const href of ['java\tscript:alert(1)', 'java\nscript:alert(1)', ' javascript:alert(1)', 'https://ex ample.lu', 'https://x.lu/\u0000']) {
    assert.equal(safeHref(href), null, JSON.stringify(href));
  }
});

test('a bare javascript: URL stays text', () => {
  assert.deepEqual(formatMessage('javascript:alert(1)'), [text('javascript:alert(1)')]);
});

test('safeHref accepts http, https and mailto only', () => {
  assert.equal(safeHref('https://example.lu/a?b=1#c'), 'https://example.lu/a?b=1#c');
  assert.equal(safeHref('HTTP://EXAMPLE.LU'), 'http://example.lu/');
  assert.equal(safeHref('mailto:a@b.lu'), 'mailto:a@b.lu');
  for (const bad of ['javascript:alert(1)', 'data:,x', 'blob:https://x.lu/1', 'ftp://x.lu', 'https://', 'x', '', null, 42]) {
    assert.equal(safeHref(bad), null, String(bad));
  }
});

test('hostile inputs only ever produce known node types and safe links', () => {
  const inputs = [
    '<iframe src="javascript:alert(1)">',
    '[<img src=x onerror=alert(1)>](https://ok.lu)',
    '**<script>**[x](javascript:void(0))*<b>*',
    'https://ok.lu/"onmouseover="alert(1)',
    '[a](https://ok.lu/<script>)',
    '[[nested](https://a.lu)](https://b.lu)',
    '*'.repeat(500) + 'x',
  ];
  for (const src of inputs) {
    const nodes = allNodes(formatMessage(src));
    for (const n of nodes) {
      assert.ok(TYPES.has(n.type), n.type);
      if (n.type === 'link') assert.match(n.href, /^(https?:\/\/[^\s"<>]+|mailto:)/, src);
    }
  }
});

test('the label of a link with markup in it stays text', () => {
  const [node] = formatMessage('[<img src=x onerror=alert(1)>](https://ok.lu)');
  assert.equal(node.type, 'link');
  assert.deepEqual(node.children, [text('<img src=x onerror=alert(1)>')]);
});

test('formatting a long message stays fast', () => {
  const src = ('**a** *b* [c](https://d.lu) https://e.lu ' + '* '.repeat(50) + '\n').repeat(200);
  const start = process.hrtime.bigint();
  formatMessage(src);
  assert.ok(Number(process.hrtime.bigint() - start) / 1e6 < 500);
});
