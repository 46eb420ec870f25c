import { EXIT_CODE_MEANINGS, ExitCode } from './errors.js';

/** docs/reference/exit-codes.md, from the ExitCode table (npm run docs:exit-codes). */
export function exitCodesReference(): string {
  const rows = (Object.keys(ExitCode) as Array<keyof typeof ExitCode>).map((name) => `| ${ExitCode[name]} | \`${name}\` | ${EXIT_CODE_MEANINGS[name]} |`);
  return `# Exit codes

<!-- Generated from src/core/errors.ts by \`npm run docs:exit-codes\`; do not edit by hand. -->

Every command exits with one of these. Errors go to stderr as \`agentctl: <what and why>\` and a \`hint:\` with the fix;
stack traces only with \`--debug\`. Data goes to stdout.

| code | name | meaning |
| --- | --- | --- |
${rows.join('\n')}
`;
}
