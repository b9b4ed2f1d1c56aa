/** Widget options: a whitelist with defaults, each value validated as it is read. */

export const DEFAULTS = Object.freeze({
  serverUrl: 'http://localhost:5005',
  apiUrl: '', // the console: firststop.js uses where it was loaded from
  language: '', // '' = from <html lang>, then the browser
  title: 'FirstStop',
  primaryColor: '#00548f',
  position: 'right',
  open: false,
  maxLength: 1000,
  timeoutMs: 20000,
  historyLimit: 200,
});

export const LANGUAGES = ['en', 'fr', 'de', 'lb'];

const int = (min, max) => (v) => (Number.isInteger(v) && v >= min && v <= max ? v : undefined);
const expandHex = (hex) => (hex.length === 4 ? hex.replace(/\w/g, '$&$&') : hex).toLowerCase();

function httpUrl(v) {
  try {
    const url = new URL(v);
    return /^https?:$/.test(url.protocol) ? url.href.replace(/\/+$/, '') : undefined;
  } catch {
    return undefined;
  }
}

const VALIDATORS = {
  serverUrl: httpUrl,
  apiUrl: httpUrl,
  language: (v) => LANGUAGES.find((l) => l === String(v).toLowerCase()),
  title: (v) => (typeof v === 'string' && v.trim() ? v.trim().slice(0, 60) : undefined),
  primaryColor: (v) => (/^#([\da-f]{3}){1,2}$/i.test(v) ? expandHex(v) : undefined),
  position: (v) => (v === 'left' || v === 'right' ? v : undefined),
  open: (v) => (typeof v === 'boolean' ? v : undefined),
  maxLength: int(1, 10000),
  timeoutMs: int(1000, 120000),
};

/** Settings from page options; unknown keys and invalid values are dropped with a warning. */
export function readSettings(options) {
  const settings = { ...DEFAULTS };
  const warnings = [];
  for (const [key, value] of Object.entries(Object(options))) {
    const valid = Object.hasOwn(VALIDATORS, key) && value !== undefined ? VALIDATORS[key](value) : undefined;
    if (valid !== undefined) settings[key] = valid;
    else if (value !== undefined) warnings.push(`option ${key}: ${Object.hasOwn(VALIDATORS, key) ? 'invalid value' : 'unknown'}, ignored`);
  }
  return { settings: Object.freeze({ ...settings, ...themeColors(settings.primaryColor) }), warnings };
}

/** Relative luminance of a #rgb or #rrggbb colour (WCAG 2.1). */
export function luminance(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(expandHex(hex).slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two colours, from 1 to 21. */
export function contrastRatio(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Colours derived from the brand colour so that any choice keeps AA contrast (firststop.css --fs-*). */
export function themeColors(primary) {
  return {
    onPrimaryColor: contrastRatio(primary, '#fff') >= contrastRatio(primary, '#000') ? '#ffffff' : '#000000',
    accentColor: contrastRatio(primary, '#eef1f4') >= 4.5 ? primary : '#1f2933',
  };
}
