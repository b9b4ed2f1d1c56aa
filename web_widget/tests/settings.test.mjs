// Unit tests for settings.js: whitelisting, validation, derived colours.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULTS, contrastRatio, readSettings, themeColors } from '../src/settings.js';

test('no options gives the defaults and no warning', () => {
  const { settings, warnings } = readSettings({});
  for (const [key, value] of Object.entries(DEFAULTS)) assert.equal(settings[key], value);
  assert.deepEqual(warnings, []);
  assert.ok(Object.isFrozen(settings));
});

test('non-object options are tolerated', () => {
  for (const options of [undefined, null, 42, 'x']) assert.equal(readSettings(options).settings.title, 'FirstStop');
});

test('unknown options are dropped with a warning', () => {
  const { settings, warnings } = readSettings({ onMessage: () => {}, innerHTML: '<b>x</b>', __proto__: { open: true } });
  assert.equal(settings.onMessage, undefined);
  assert.equal(settings.innerHTML, undefined);
  assert.equal(settings.open, false);
  assert.equal(warnings.length, 2);
  assert.match(warnings.join(), /onMessage: unknown/);
});

test('valid options are normalised', () => {
  const { settings, warnings } = readSettings({
    serverUrl: ' https://chat.example.lu:5005/ ',
    language: 'FR',
    title: '  Ask FirstStop  ',
    primaryColor: '#0A3',
    position: 'left',
    open: true,
    maxLength: 500,
  });
  assert.deepEqual(warnings, []);
  assert.equal(settings.serverUrl, 'https://chat.example.lu:5005');
  assert.equal(settings.language, 'fr');
  assert.equal(settings.title, 'Ask FirstStop');
  assert.equal(settings.primaryColor, '#00aa33');
  assert.equal(settings.position, 'left');
  assert.equal(settings.open, true);
  assert.equal(settings.maxLength, 500);
});

test('invalid values keep the default and warn', () => {
  const bad = {
    serverUrl: 'javascript:alert(1)',
    language: 'es',
    title: '   ',
    primaryColor: 'red;background:url(https://evil.test/x)',
    position: 'top',
    open: 'yes',
    maxLength: 1.5,
    timeoutMs: -1,
  };
  const { settings, warnings } = readSettings(bad);
  for (const key of Object.keys(bad)) assert.equal(settings[key], DEFAULTS[key], key);
  assert.equal(warnings.length, Object.keys(bad).length);
  assert.match(warnings[0], /serverUrl: invalid value/);
});

test('server URL must be http(s)', () => {
  for (const url of ['ftp://example.lu', 'data:text/html,x', 'not a url', 42, {}]) {
    assert.equal(readSettings({ serverUrl: url }).settings.serverUrl, DEFAULTS.serverUrl, String(url));
  }
});

test('maxLength is an integer within 1..10000', () => {
  assert.equal(readSettings({ maxLength: 0 }).settings.maxLength, 1000);
  assert.equal(readSettings({ maxLength: 10001 }).settings.maxLength, 1000);
  assert.equal(readSettings({ maxLength: '500' }).settings.maxLength, 1000);
  assert.equal(readSettings({ maxLength: 1 }).settings.maxLength, 1);
});

test('a long title is cut to 60 characters', () => {
  assert.equal(readSettings({ title: 'x'.repeat(200) }).settings.title.length, 60);
});

test('default brand colour meets AA contrast with white text and on light backgrounds', () => {
  const { settings } = readSettings({});
  assert.equal(settings.onPrimaryColor, '#ffffff');
  assert.equal(settings.accentColor, DEFAULTS.primaryColor);
  assert.ok(contrastRatio(settings.primaryColor, '#ffffff') >= 4.5);
  assert.ok(contrastRatio(settings.accentColor, '#eef1f4') >= 4.5);
});

test('a light brand colour gets dark text and a dark accent', () => {
  const colors = themeColors('#ffd700');
  assert.equal(colors.onPrimaryColor, '#000000');
  assert.equal(colors.accentColor, '#1f2933');
  assert.ok(contrastRatio('#ffd700', colors.onPrimaryColor) >= 4.5);
});

test('any brand colour keeps text on it at AA contrast', () => {
  for (let v = 0; v < 256; v += 5) {
    const hex = '#' + [v, 255 - v, (v * 7) % 256].map((c) => c.toString(16).padStart(2, '0')).join('');
    const { onPrimaryColor, accentColor } = themeColors(hex);
    assert.ok(contrastRatio(hex, onPrimaryColor) >= 4.5, hex);
    assert.ok(contrastRatio(accentColor, '#eef1f4') >= 4.5, hex);
  }
});

test('contrast ratio matches known WCAG values', () => {
  assert.equal(Math.round(contrastRatio('#000', '#fff') * 10) / 10, 21);
  assert.equal(contrastRatio('#777777', '#777777'), 1);
  assert.equal(Math.round(contrastRatio('#767676', '#ffffff') * 100) / 100, 4.54);
});
