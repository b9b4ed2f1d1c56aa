/** Interface strings in English, French, German and Luxembourgish, and the choice of language. */

import { LANGUAGES } from './settings.js';

/** Each key: [en, fr, de, lb], in the order of LANGUAGES. */
export const STRINGS = {
  openChat: ['Open chat with {title}', 'Ouvrir la discussion avec {title}', 'Chat mit {title} öffnen', 'Chat mat {title} opmaachen'],
  closeChat: ['Close chat', 'Fermer la discussion', 'Chat schließen', 'Chat zoumaachen'],
  panel: ['{title} chat', 'Discussion {title}', '{title}-Chat', '{title}-Chat'],
  talkToPerson: ['Talk to a person', 'Parler à une personne', 'Mit einer Person sprechen', 'Mat enger Persoun schwätzen'],
  restart: ['Restart conversation', 'Recommencer la conversation', 'Gespräch neu beginnen', 'Gespréich nei ufänken'],
  inputLabel: ['Your message', 'Votre message', 'Ihre Nachricht', 'Äre Message'],
  placeholder: ['Ask a question…', 'Posez une question…', 'Stellen Sie eine Frage…', 'Stellt eng Fro…'],
  send: ['Send', 'Envoyer', 'Senden', 'Schécken'],
  typing: ['{title} is typing…', '{title} écrit…', '{title} schreibt…', '{title} schreift…'],
  slow: ['This is taking longer than usual…', 'Cela prend plus de temps que d’habitude…', 'Das dauert länger als üblich…', 'Dat dauert méi laang wéi soss…'],
  privacy: ['This chat is stored to answer you.', 'Cette discussion est enregistrée pour vous répondre.', 'Dieser Chat wird gespeichert, um Ihnen zu antworten.', 'Dëse Chat gëtt gespäichert, fir Iech ze äntweren.'],
  privacyLink: ['Read how we use your data.', 'Comment nous utilisons vos données.', 'So verwenden wir Ihre Daten.', 'Esou benotze mir Är Donnéeën.'],
  privacyQuestion: ['How is my data used?', 'Comment mes données sont-elles utilisées ?', 'Wie werden meine Daten verwendet?', 'Wéi ginn meng Donnéeë benotzt?'],
  you: ['You', 'Vous', 'Sie', 'Dir'],
  staff: ['Advisor', 'Conseiller', 'Berater', 'Beroder'],
  suggestions: ['Suggested replies', 'Réponses suggérées', 'Antwortvorschläge', 'Äntwertvirschléi'],
  unread: ['{n} unread', '{n} non lu(s)', '{n} ungelesen', '{n} net gelies'],
  network: [
    "We couldn't reach the assistant. Your message is kept: try again.",
    "Impossible de joindre l'assistant. Votre message est conservé : réessayez.",
    'Der Assistent ist nicht erreichbar. Ihre Nachricht bleibt erhalten: bitte erneut versuchen.',
    "Den Assistent ass net z'areechen. Äre Message bleift erhalen: probéiert nach eng Kéier.",
  ],
  rejected: [
    "The assistant couldn't accept this message. Please shorten or rephrase it.",
    "L'assistant n'a pas accepté ce message. Merci de le raccourcir ou de le reformuler.",
    'Der Assistent hat diese Nachricht nicht angenommen. Bitte kürzen oder umformulieren.',
    'Den Assistent konnt dëse Message net unhuelen. Maacht e w.e.g. méi kuerz oder formuléiert en anescht.',
  ],
  limited: [
    'Too many messages at once. Please wait a moment, then retry.',
    'Trop de messages à la fois. Patientez un instant, puis réessayez.',
    'Zu viele Nachrichten auf einmal. Bitte kurz warten und erneut versuchen.',
    'Ze vill Messagen op eemol. Waart w.e.g. e Moment a probéiert dann nach eng Kéier.',
  ],
  tooLong: [
    'Your message has {n} characters; the limit is {max}. Please shorten it.',
    'Votre message compte {n} caractères ; la limite est de {max}. Merci de le raccourcir.',
    'Ihre Nachricht hat {n} Zeichen; erlaubt sind {max}. Bitte kürzen Sie sie.',
    'Äre Message huet {n} Zeechen; erlaabt sinn der {max}. Maacht e w.e.g. méi kuerz.',
  ],
  retry: ['Retry', 'Réessayer', 'Erneut versuchen', 'Nach eng Kéier probéieren'],
  rate: ['Was this helpful?', 'Cette réponse vous a-t-elle aidé ?', 'War das hilfreich?', 'Huet dat gehollef?'],
  up: ['Helpful', 'Utile', 'Hilfreich', 'Hëllefräich'],
  down: ['Not helpful', 'Pas utile', 'Nicht hilfreich', 'Net hëllefräich'],
  why: ['What was missing? (optional)', 'Que manquait-il ? (facultatif)', 'Was hat gefehlt? (optional)', 'Wat huet gefeelt? (fräiwëlleg)'],
  thanks: ['Thank you for your feedback.', 'Merci pour votre avis.', 'Danke für Ihr Feedback.', 'Merci fir Äre Feedback.'],
  notSent: ['Not sent', 'Non envoyé', 'Nicht gesendet', 'Net geschéckt'],
};

/** First supported language among the option, the page's <html lang> and the browser's languages; else 'en'. */
export function pickLanguage({ option, htmlLang, navigatorLanguages = [] }) {
  for (const tag of [option, htmlLang, ...navigatorLanguages]) {
    const base = String(tag || '').toLowerCase().split(/[-_]/)[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return 'en';
}

/** The conversation's language: the one its latest message was shown in, else `fallback` (the page's). */
export const conversationLanguage = (messages, fallback) => messages.findLast((m) => m.lang)?.lang || fallback;

/** A translator for one language: t('tooLong', {n, max}) fills the {placeholders}. */
export function translator(lang, vars = {}) {
  const index = Math.max(0, LANGUAGES.indexOf(lang));
  return (key, params) => {
    const all = { ...vars, ...params };
    return ((STRINGS[key] || [])[index] ?? key).replace(/\{(\w+)\}/g, (m, name) => (name in all ? all[name] : m));
  };
}
