// Rewrites the README's configuration reference from the zod schema: npm run docs:config
import { readFileSync, writeFileSync } from 'node:fs';
import { configReference } from '../dist/config-reference.js';

const START = '<!-- config-reference:start -->';
const END = '<!-- config-reference:end -->';
const path = new URL('../README.md', import.meta.url);
const readme = readFileSync(path, 'utf8');
const before = readme.slice(0, readme.indexOf(START) + START.length);
const after = readme.slice(readme.indexOf(END));
if (!readme.includes(START) || !readme.includes(END)) throw new Error('README.md has no config-reference markers');
writeFileSync(path, `${before}\n${configReference()}${after}`);
