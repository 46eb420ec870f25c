// Writes docs/reference/commands.md from the operations' definitions: npm run docs:commands
import { mkdirSync, writeFileSync } from 'node:fs';
import { commandsReference } from '../dist/commands-reference.js';

mkdirSync(new URL('./reference/', import.meta.url), { recursive: true });
writeFileSync(new URL('./reference/commands.md', import.meta.url), commandsReference());
