import { usageError } from '../errors.js';
import { renderTemplate } from './render-template.js';

export const BLOCKED_FILE = 'BLOCKED.md';

/** Always appended: how the agent tells us it is stuck. */
export const BLOCKED_INSTRUCTIONS = `## If you cannot proceed

If you are blocked (the task is ambiguous, you need a decision, a credential or access you do not have, or the work would be unsafe), stop and write your question to \`${BLOCKED_FILE}\` at the root of the repository (\`/workspace/repo/${BLOCKED_FILE}\`): say what you tried, what is missing, and the exact question a human should answer. Then end your run. Do not write ${BLOCKED_FILE} when you finished the task.`;

/** Upper bound on a rendered prompt; far above any useful prompt, well below memory trouble. */
export const MAX_PROMPT_BYTES = 1024 * 1024;

export interface NamedText {
  name: string;
  text: string;
}

export interface PromptInput {
  template: NamedText;
  conventions: NamedText;
  security: NamedText;
  persona?: NamedText | undefined;
  plan?: NamedText | undefined;
  repoInstructions: NamedText[];
  vars: Readonly<Record<string, string>>;
}

function section(title: string, body: string): string {
  return `## ${title}\n\n${body.trim()}`;
}

/** Build the full prompt: task template first, then persona, plan, repo rules, conventions, security, BLOCKED.md. */
export function assemblePrompt(input: PromptInput): string {
  const parts: string[] = [renderTemplate(input.template.text, input.vars, `template "${input.template.name}"`).trim()];
  if (input.persona !== undefined) {
    parts.push(section('Persona', renderTemplate(input.persona.text, input.vars, `persona "${input.persona.name}"`)));
  }
  if (input.plan !== undefined) {
    parts.push(section('Plan', renderTemplate(input.plan.text, input.vars, `plan template "${input.plan.name}"`)));
  }
  for (const doc of input.repoInstructions) {
    // The repo's own files are data from the repo: never expanded as templates.
    parts.push(section(`Repository instructions (${doc.name})`, doc.text));
  }
  parts.push(renderTemplate(input.conventions.text, input.vars, `template "${input.conventions.name}"`).trim());
  parts.push(renderTemplate(input.security.text, input.vars, `template "${input.security.name}"`).trim());
  parts.push(BLOCKED_INSTRUCTIONS);
  const prompt = `${parts.join('\n\n')}\n`;
  const bytes = Buffer.byteLength(prompt, 'utf8');
  if (bytes > MAX_PROMPT_BYTES) {
    throw usageError(
      'prompt_too_large',
      `the rendered prompt is ${bytes} bytes, above the ${MAX_PROMPT_BYTES}-byte limit`,
      'shorten the task text or the repository instructions (AGENTS.md / CLAUDE.md)',
    );
  }
  return prompt;
}
