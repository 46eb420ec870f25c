import { usageError } from '../errors.js';

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.-]*)\s*\}\}/g;

/**
 * Replace {{name}} placeholders in one pass, so text inside a value (a task
 * that itself contains "{{x}}") is never expanded again.
 */
export function renderTemplate(text: string, vars: Readonly<Record<string, string>>, source: string): string {
  const missing = new Set<string>();
  const out = text.replace(PLACEHOLDER, (_match, name: string) => {
    const value = vars[name];
    if (value === undefined) {
      missing.add(name);
      return '';
    }
    return value;
  });
  if (missing.size > 0) {
    const known = Object.keys(vars).sort();
    throw usageError(
      'unknown_variable',
      `${source} uses unknown variable${missing.size > 1 ? 's' : ''} ${[...missing].map((m) => `{{${m}}}`).join(', ')}`,
      `known variables: ${known.join(', ')}; pass others with --var name=value`,
    );
  }
  return out;
}

/** Parse repeated --var name=value flags. */
export function parseVars(pairs: readonly string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    if (eq < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw usageError(
        'invalid_var',
        `invalid --var ${JSON.stringify(pair)}: expected name=value with a name of letters, digits and "_"`,
        'for example --var ticket_url=https://example.com/T-1',
      );
    }
    vars[name] = pair.slice(eq + 1);
  }
  return vars;
}
