/** Print the widget's gzipped size (JS + CSS, each file gzipped as a server would send it); exit 1 over budget. */

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

// 18 KiB since the widget gained feedback buttons, advisors' replies and Luxembourgish (was 15 KiB).
const BUDGET = 18 * 1024;
const here = dirname(fileURLToPath(import.meta.url));
const files = [
  'firststop.js',
  'firststop.css',
  ...readdirSync(join(here, 'src'))
    .filter((f) => f.endsWith('.js'))
    .sort()
    .map((f) => join('src', f)),
];

let raw = 0;
let gz = 0;
for (const file of files) {
  const data = readFileSync(join(here, file));
  const size = gzipSync(data, { level: 9 }).length;
  raw += data.length;
  gz += size;
  console.log(`${String(size).padStart(6)} B gz  ${String(data.length).padStart(6)} B  ${relative(here, join(here, file))}`);
}
const all = gzipSync(Buffer.concat(files.map((f) => readFileSync(join(here, f)))), { level: 9 }).length;
console.log(`widget size: ${gz} B gzipped per file (${(gz / 1024).toFixed(1)} KiB; ${all} B as one stream), ${raw} B raw, budget ${BUDGET} B`);
if (gz > BUDGET) {
  console.error(`widget size over budget by ${gz - BUDGET} B`);
  process.exit(1);
}
