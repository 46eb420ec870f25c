import { configReference } from '../core/config/reference.js';
import { exitCodesReference } from '../core/exit-codes-reference.js';
import { jsonReference } from './json-reference.js';
import { commandsReference } from './operations/reference.js';

/**
 * docs/reference/, made from the code: what docs/gen-reference.mjs writes
 * and what test/docs checks the files against (npm run docs:reference).
 */
export const REFERENCE_DOCS: Readonly<Record<string, () => string>> = {
  commands: commandsReference,
  config: () => `# Configuration reference\n\n<!-- Generated from src/core/config/schema.ts by \`npm run docs:config\`; do not edit by hand. -->\n\nEvery setting, its type, default and meaning. Where the files are and how they layer: [the configuration guide](../guide/configuration.md).\n\n${configReference()}`,
  'exit-codes': exitCodesReference,
  json: jsonReference,
};
