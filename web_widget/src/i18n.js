/** Interface strings in English, French and German, and the choice of language. */

import { LANGUAGES } from './settings.js';

/** Each key: [en, fr, de], in the order of LANGUAGES. */
export const STRINGS = {
  openChat: ['Open chat with {title}', 'Ouvrir la discussion avec {title}', 'Chat mit {title} öffnen'],
  closeChat: ['Close chat', 'Fermer la discussion', 'Chat schließen'],
  panel: ['{title} chat', 'Discussion {title}', '{title}-Chat'],
  talkToPerson: ['Talk to a person', 'Parler à une personne', 'Mit einer Person sprechen'],
  restart: ['Restart conversation', 'Recommencer la conversation', 'Gespräch neu beginnen'],
  inputLabel: ['Your message', 'Votre message', 'Ihre Nachricht'],
  placeholder: ['Ask a question…', 'Posez une question…', 'Stellen Sie eine Frage…'],
  send: ['Send', 'Envoyer', 'Senden'],
  typing: ['{title} is typing…', '{title} écrit…', '{title} schreibt…'],
  slow: ['This is taking longer than usual…', 'Cela prend plus de temps que d’habitude…', 'Das dauert länger als üblich…'],
  privacy: ['This chat is stored to answer you.', 'Cette discussion est enregistrée pour vous répondre.', 'Dieser Chat wird gespeichert, um Ihnen zu antworten.'],
  privacyLink: ['Read how we use your data.', 'Comment nous utilisons vos données.', 'So verwenden wir Ihre Daten.'],
  privacyQuestion: ['How is my data used?', 'Comment mes données sont-elles utilisées ?', 'Wie werden meine Daten verwendet?'],
  you: ['You', 'Vous', 'Sie'],
  staff: ['Advisor', 'Conseiller', 'Berater'],
  suggestions: ['Suggested replies', 'Réponses suggérées', 'Antwortvorschläge'],
  unread: ['{n} unread', '{n} non lu(s)', '{n} ungelesen'],
  network: [
    "We couldn't reach the assistant. Your message is kept: try again.",
    "Impossible de joindre l'assistant. Votre message est conservé : réessayez.",
    'Der Assistent ist nicht erreichbar. Ihre Nachricht bleibt erhalten: bitte erneut versuchen.',
  ],
  rejected: [
    "The assistant couldn't accept this message. Please shorten or rephrase it.",
    "L'assistant n'a pas accepté ce message. Merci de le raccourcir ou de le reformuler.",
    'Der Assistent hat diese Nachricht nicht angenommen. Bitte kürzen oder umformulieren.',
  ],
  limited: [
    'Too many messages at once. Please wait a moment, then retry.',
    'Trop de messages à la fois. Patientez un instant, puis réessayez.',
    'Zu viele Nachrichten auf einmal. Bitte kurz warten und erneut versuchen.',
  ],
  tooLong: [
    'Your message has {n} characters; the limit is {max}. Please shorten it.',
    'Votre message compte {n} caractères ; la limite est de {max}. Merci de le raccourcir.',
    'Ihre Nachricht hat {n} Zeichen; erlaubt sind {max}. Bitte kürzen Sie sie.',
  ],
  retry: ['Retry', 'Réessayer', 'Erneut versuchen'],
  notSent: ['Not sent', 'Non envoyé', 'Nicht gesendet'],
};

/** First supported language among the option, the page's <html lang> and the browser's languages; else 'en'. */
export function pickLanguage({ option, htmlLang, navigatorLanguages = [] }) {
  for (const tag of [option, htmlLang, ...navigatorLanguages]) {
    const base = String(tag || '').toLowerCase().split(/[-_]/)[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return 'en';
}

/** A translator for one language: t('tooLong', {n, max}) fills the {placeholders}. */
export function translator(lang, vars = {}) {
  const index = Math.max(0, LANGUAGES.indexOf(lang));
  return (key, params) => {
    const all = { ...vars, ...params };
    return ((STRINGS[key] || [])[index] ?? key).replace(/\{(\w+)\}/g, (m, name) => (name in all ? all[name] : m));
  };
}
