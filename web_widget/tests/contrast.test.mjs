// Checks the colour pairs of firststop.css against WCAG 2.1 AA (4.5:1 for text, 3:1 for UI parts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { contrastRatio } from '../src/settings.js';

const css = readFileSync(new URL('../firststop.css', import.meta.url), 'utf8');
const vars = Object.fromEntries([...css.matchAll(/--fs-([\w-]+):\s*(#[0-9a-f]{3,6})/gi)].map((m) => [m[1], m[2]]));

const TEXT = [
  ['text', 'bg', 'body text'],
  ['text', 'bot-bg', 'bot message and privacy notice'],
  ['text', 'staff-bg', 'staff message'],
  ['staff-accent', 'staff-bg', 'staff label'],
  ['muted', 'bg', 'timestamps, counter, placeholder'],
  ['muted', 'bot-bg', 'typing note on its bubble colour'],
  ['error-text', 'error-bg', 'error message'],
  ['error-text', 'bg', 'input error and "not sent" note'],
  ['on-primary', 'primary', 'header, visitor message, launcher'],
  ['accent', 'bg', 'quick replies and retry'],
  ['accent', 'bot-bg', 'links in bot messages and the privacy link'],
];

test('the stylesheet declares every colour the checks need', () => {
  for (const [fg, bg] of TEXT) assert.ok(vars[fg] && vars[bg], `${fg} / ${bg}`);
});

for (const [fg, bg, what] of TEXT) {
  test(`${what}: ${fg} on ${bg} has at least 4.5:1 contrast`, () => {
    assert.ok(contrastRatio(vars[fg], vars[bg]) >= 4.5, `${vars[fg]} on ${vars[bg]}: ${contrastRatio(vars[fg], vars[bg]).toFixed(2)}`);
  });
}

test('input border and badge meet the 3:1 non-text contrast', () => {
  assert.ok(contrastRatio(vars.border, vars.bg) >= 3);
  assert.ok(contrastRatio('#ffffff', vars['badge-bg']) >= 4.5);
});
