// Unit tests for i18n.js: language choice and complete, consistent translations.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { STRINGS, pickLanguage, translator } from '../src/i18n.js';
import { LANGUAGES } from '../src/settings.js';

test('the option wins over the page and the browser', () => {
  assert.equal(pickLanguage({ option: 'de', htmlLang: 'fr', navigatorLanguages: ['en-GB'] }), 'de');
});

test('without an option, the page language is used', () => {
  assert.equal(pickLanguage({ option: '', htmlLang: 'fr-LU', navigatorLanguages: ['de-DE'] }), 'fr');
});

test('without option or page language, the browser languages are used in order', () => {
  assert.equal(pickLanguage({ htmlLang: '', navigatorLanguages: ['es-ES', 'de-LU', 'fr'] }), 'de');
  assert.equal(pickLanguage({ htmlLang: '', navigatorLanguages: ['lb-LU', 'de-LU'] }), 'lb');
});

test('an unsupported page language falls through to the browser', () => {
  assert.equal(pickLanguage({ htmlLang: 'pt', navigatorLanguages: ['fr-FR'] }), 'fr');
});

test('a Luxembourgish page gets the interface in Luxembourgish', () => {
  assert.equal(pickLanguage({ htmlLang: 'lb-LU', navigatorLanguages: ['fr-FR'] }), 'lb');
  assert.equal(translator('lb')('send'), 'Schécken');
});

test('English is the last resort', () => {
  assert.equal(pickLanguage({}), 'en');
  assert.equal(pickLanguage({ option: 'es', htmlLang: 'pt', navigatorLanguages: ['it-IT'] }), 'en');
});

test('tags are matched case-insensitively with - or _ separators', () => {
  assert.equal(pickLanguage({ htmlLang: 'DE_at' }), 'de');
  assert.equal(pickLanguage({ navigatorLanguages: ['FR-be'] }), 'fr');
});

test('every string exists in every language, with the same placeholders', () => {
  const placeholders = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join();
  for (const [key, texts] of Object.entries(STRINGS)) {
    assert.equal(texts.length, LANGUAGES.length, key);
    for (const s of texts) {
      assert.ok(typeof s === 'string' && s.trim(), key);
      assert.equal(placeholders(s), placeholders(texts[0]), key);
    }
  }
});

test('the translator fills placeholders from its variables and the call', () => {
  const t = translator('fr', { title: 'FirstStop' });
  assert.equal(t('typing'), 'FirstStop écrit…');
  assert.equal(t('tooLong', { n: 1200, max: 1000 }), 'Votre message compte 1200 caractères ; la limite est de 1000. Merci de le raccourcir.');
});

test('the privacy notice and hand-off labels are translated', () => {
  assert.equal(translator('en')('privacy'), 'This chat is stored to answer you.');
  assert.equal(translator('en')('privacyLink'), 'Read how we use your data.');
  assert.equal(translator('en')('privacyQuestion'), 'How is my data used?');
  assert.equal(translator('de')('talkToPerson'), 'Mit einer Person sprechen');
});

test('an unknown language falls back to English and an unknown key to itself', () => {
  assert.equal(translator('xx')('send'), 'Send');
  assert.equal(translator('de')('noSuchKey'), 'noSuchKey');
});

test('unknown placeholders are left visible rather than dropped', () => {
  assert.equal(translator('en')('unread'), '{n} unread');
});
