/** FirstStop widget entry: the one global `window.FirstStop`, and firststop.css loaded from beside this file. */

import { pickLanguage, translator } from './src/i18n.js';
import { readSettings } from './src/settings.js';
import { browserStores, createStorage } from './src/storage.js';
import { createApi, createTransport } from './src/transport.js';
import { createWidget } from './src/widget.js';

function install(win) {
  const doc = win.document;
  let widget;

  /** Start the widget once (when <body> exists); later calls only warn. */
  function init(options = {}) {
    if (widget) return win.console.warn('FirstStop: already initialised'), api;
    if (!doc.body) return doc.addEventListener('DOMContentLoaded', () => init(options)), api;
    const meta = doc.querySelector('meta[name="firststop-server"]');
    const { settings, warnings } = readSettings({ serverUrl: meta ? meta.content : undefined, apiUrl: new URL('..', import.meta.url).href, ...options });
    warnings.forEach((w) => win.console.warn('FirstStop: ' + w));
    const nav = win.navigator;
    widget = createWidget({
      doc,
      settings,
      pageLang: pickLanguage({ option: settings.language, htmlLang: doc.documentElement.lang, navigatorLanguages: nav.languages || [nav.language] }),
      translate: (lang) => translator(lang, { title: settings.title }),
      storage: createStorage({ ...browserStores(win), limit: settings.historyLimit }),
      transport: createTransport({ serverUrl: settings.serverUrl, timeoutMs: settings.timeoutMs, fetchImpl: win.fetch.bind(win) }),
      api: createApi({ apiUrl: settings.apiUrl, fetchImpl: win.fetch.bind(win) }),
    });
    const show = () => (widget.root.hidden = false);
    widget.root.hidden = true;
    const link = doc.getElementById('fs-stylesheet') || doc.head.appendChild(Object.assign(doc.createElement('link'), { id: 'fs-stylesheet', rel: 'stylesheet', href: new URL('firststop.css', import.meta.url).href }));
    if (link.sheet) show();
    link.addEventListener('load', show);
    link.addEventListener('error', show);
    setTimeout(show, 3000);
    return api;
  }

  const call = (name) => () => (widget && widget[name](), api);
  const api = Object.freeze({ version: '1.0.0', init, open: call('open'), close: call('close'), toggle: call('toggle'), restart: call('restart') });
  return api;
}

// A second copy of this script keeps the first instance (see README.md for FirstStopSettings).
if (!(window.FirstStop && window.FirstStop.version)) {
  window.FirstStop = install(window);
  if (window.FirstStopSettings) window.FirstStop.init(window.FirstStopSettings);
}

export default window.FirstStop;
