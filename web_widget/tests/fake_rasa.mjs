/**
 * A stand-in for the Rasa REST channel plus a static server for the demo page, for trying the widget in a
 * browser without a trained model: `node web_widget/tests/fake_rasa.mjs [rasaPort=5005] [sitePort=8000]`.
 * POST /__down and /__up on the Rasa port switch the "server down" mode (connections are dropped).
 * The demo page is served with its <meta name="firststop-server"> pointed at this fake server.
 */

import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const [rasaPort = 5005, sitePort = 8000] = process.argv.slice(2).map(Number);
const widgetDir = fileURLToPath(new URL('..', import.meta.url));
const MAX_LENGTH = 1000;
let down = false;

const MENU = [
  { title: 'Funding for R&D', payload: '/ask_question{"topic":"funding"}' },
  { title: 'Find my cluster', payload: '/route_enquiry' },
  { title: 'Start a business', payload: '/ask_question{"topic":"start_up"}' },
];

/** The fake bot: canned answers by payload or keyword. */
function reply(sender, message) {
  const bot = (text, extra = {}) => ({ recipient_id: sender, text, ...extra });
  if (message === '/greet') {
    return [bot("Hello! I'm **FirstStop**, Luxinnovation's assistant. I answer questions on *innovation*, R&D funding and starting a business.\nWhat brings you here?", { buttons: MENU })];
  }
  if (message === '/restart') return [];
  if (message === '/request_human') {
    return [
      bot('I have passed your conversation to an advisor, who will answer here or by e-mail within one working day.'),
      { recipient_id: sender, text: 'Hello, this is Anna from the advisors team. How can I help?', custom: { from: 'staff' } },
    ];
  }
  if (message.startsWith('/ask_question{"topic":"privacy"}')) {
    return [bot('We keep this conversation to answer you and to follow up your enquiry. Read our [privacy notice](https://www.luxinnovation.lu/privacy-policy/) or write to [our data protection officer](mailto:dpo@luxinnovation.example).')];
  }
  if (message.startsWith('/ask_question{"topic":"funding"}')) {
    return [bot('Companies can get aid for **R&D projects** and **innovation**. See https://www.luxinnovation.lu/funding.', { buttons: [{ title: 'Am I eligible?', payload: '/ask_question{"topic":"eligibility"}' }, { title: 'Talk to a person', payload: '/request_human' }] })];
  }
  if (/xss/i.test(message)) {
    return [
      bot('<img src=x onerror="window.__xss=1"> and <script>window.__xss=2</script>'),
      bot('[click me](javascript:window.__xss=3) **<b>bold?</b>**'),
    ];
  }
  return [bot(`You said: ${message}`)];
}

const cors = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type',
};

function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...cors });
  res.end(JSON.stringify(body));
}

createServer(async (req, res) => {
  if (req.method === 'OPTIONS') return res.writeHead(204, cors).end();
  if (req.url === '/__down' || req.url === '/__up') {
    down = req.url === '/__down';
    return send(res, 200, { down });
  }
  if (down) return req.socket.destroy();
  if (req.method !== 'POST' || req.url !== '/webhooks/rest/webhook') return send(res, 404, { error: 'not found' });
  let raw = '';
  for await (const chunk of req) raw += chunk;
  let body;
  try {
    body = JSON.parse(raw);
  } catch {
    return send(res, 400, { error: 'invalid JSON' });
  }
  if (typeof body.sender !== 'string' || typeof body.message !== 'string') return send(res, 400, { error: 'sender and message are required' });
  if ([...body.message].length > MAX_LENGTH) return send(res, 413, { error: `message too long (max ${MAX_LENGTH} characters)` });
  if (body.message === 'boom') return send(res, 500, { error: 'internal error' });
  if (body.message === 'slow' || body.message === 'delay') await new Promise((r) => setTimeout(r, body.message === 'slow' ? 10000 : 1500));
  send(res, 200, reply(body.sender, body.message));
}).listen(rasaPort, '127.0.0.1');

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.mjs': 'text/javascript' };

createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const file = path === '/' ? 'demo.html' : path.startsWith('/widget/') ? normalize(path.slice(8)) : null;
  if (!file || file.startsWith('..')) return res.writeHead(404).end();
  try {
    let data = await readFile(join(widgetDir, file));
    if (file === 'demo.html') data = String(data).replace('content="http://localhost:5005"', `content="http://127.0.0.1:${rasaPort}"`);
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-store' }).end(data);
  } catch {
    res.writeHead(404).end();
  }
}).listen(sitePort, '127.0.0.1');

console.log(`fake Rasa on http://127.0.0.1:${rasaPort}, demo on http://127.0.0.1:${sitePort}/`);
