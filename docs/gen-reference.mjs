// Writes docs/reference/<name>.md from the code (after npm run build): node docs/gen-reference.mjs [name ...]
import { mkdirSync, writeFileSync } from 'node:fs';
import { REFERENCE_DOCS } from '../dist/reference-docs.js';

const names = process.argv.length > 2 ? process.argv.slice(2) : Object.keys(REFERENCE_DOCS);
mkdirSync(new URL('./reference/', import.meta.url), { recursive: true });
for (const name of names) {
  const render = REFERENCE_DOCS[name];
  if (render === undefined) throw new Error(`no reference named ${name}; known: ${Object.keys(REFERENCE_DOCS).join(', ')}`);
  writeFileSync(new URL(`./reference/${name}.md`, import.meta.url), render());
}
