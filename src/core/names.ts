import { usageError } from './errors.js';

/** Printable description of a character for error messages. */
function describeChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) return `control character U+${code.toString(16).padStart(4, '0').toUpperCase()}`;
  if (ch === ' ') return 'a space';
  return `"${ch}"`;
}

function controlChar(value: string): string | undefined {
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) return ch;
  }
  return undefined;
}

/**
 * Why git would refuse `name` as a branch or tag name (git check-ref-format
 * rules), or undefined when it is acceptable. We also refuse a leading "-"
 * so a name can never be read as an option.
 */
export function refNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > 200) return 'it is longer than 200 characters';
  const ctrl = controlChar(name);
  if (ctrl !== undefined) return `it contains a ${describeChar(ctrl)}`;
  if (name.startsWith('-')) return 'it starts with "-" and would be read as an option';
  if (name.startsWith('/')) return 'it is an absolute path';
  if (name.endsWith('/')) return 'it ends with "/"';
  if (name.endsWith('.')) return 'it ends with "."';
  if (name === '@') return 'it is "@", which git reserves';
  if (name.includes('..')) return 'it contains "..", which could escape the workspace and git refuses';
  if (name.includes('//')) return 'it contains "//"';
  if (name.includes('@{')) return 'it contains "@{"';
  for (const ch of [' ', '~', '^', ':', '?', '*', '[', '\\']) {
    if (name.includes(ch)) return `it contains ${describeChar(ch)}, which git refuses in ref names`;
  }
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return `its component "${part}" starts with "."`;
    if (part.endsWith('.lock')) return `its component "${part}" ends with ".lock"`;
  }
  return undefined;
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** Why `name` is not a safe org or repository name, or undefined. */
export function segmentProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > 100) return 'it is longer than 100 characters';
  const ctrl = controlChar(name);
  if (ctrl !== undefined) return `it contains a ${describeChar(ctrl)}`;
  if (name === '.' || name === '..') return `"${name}" would escape the workspace root`;
  if (name.startsWith('-')) return 'it starts with "-" and would be read as an option';
  if (name.includes('..')) return 'it contains ".."';
  if (!SEGMENT.test(name)) {
    const bad = [...name].find((ch) => !/[A-Za-z0-9._-]/.test(ch));
    return bad === undefined
      ? 'it must start with a letter, digit or "_"'
      : `it contains ${describeChar(bad)}; only letters, digits, ".", "_" and "-" are allowed`;
  }
  return undefined;
}

export function assertSegment(kind: 'org' | 'repo', name: string): string {
  const problem = segmentProblem(name);
  if (problem !== undefined) {
    throw usageError(
      'invalid_name',
      `invalid ${kind} name ${JSON.stringify(name)}: ${problem}`,
      `use a plain ${kind} name such as "${kind === 'org' ? 'acme' : 'web-app'}"`,
    );
  }
  return name;
}

export function assertRefName(kind: 'branch' | 'tag', name: string): string {
  const problem = refNameProblem(name);
  if (problem !== undefined) {
    throw usageError(
      'invalid_ref',
      `invalid ${kind} name ${JSON.stringify(name)}: ${problem}`,
      `use a name git accepts, such as "${kind === 'branch' ? 'feature/login' : 'v1.2.0'}" (see git check-ref-format)`,
    );
  }
  return name;
}

export function assertNumber(kind: 'issue' | 'pr', value: string | number): number {
  const text = String(value);
  if (!/^[1-9][0-9]{0,9}$/.test(text)) {
    throw usageError(
      'invalid_number',
      `invalid ${kind === 'pr' ? 'pull request' : 'issue'} number ${JSON.stringify(text)}: it must be a positive whole number`,
      `pass e.g. --${kind} 42`,
    );
  }
  return Number(text);
}

export type Target =
  | { kind: 'issue'; number: number }
  | { kind: 'pr'; number: number }
  | { kind: 'branch'; name: string }
  | { kind: 'tag'; name: string }
  | { kind: 'adhoc'; id: string };

/**
 * The workspace slot for a target. Branch names may hold "/", which would
 * nest directories, so it becomes "-"; the recorded target guards against
 * two branches sharing one slot.
 */
export function slotFor(target: Target): string {
  switch (target.kind) {
    case 'issue':
      return `task-${target.number}`;
    case 'pr':
      return `pr-${target.number}`;
    case 'branch':
      return target.name.replaceAll('/', '-');
    case 'tag':
      return target.name.replaceAll('/', '-');
    case 'adhoc':
      return target.id;
  }
}

/** The branch the agent works on, or undefined for a detached (tag) checkout. */
export function workBranchFor(target: Target): string | undefined {
  switch (target.kind) {
    case 'issue':
      return `agent/issue-${target.number}`;
    case 'pr':
      return `pr-${target.number}`;
    case 'branch':
      return target.name;
    case 'tag':
      return undefined;
    case 'adhoc':
      return `agent/${target.id}`;
  }
}

export function describeTarget(target: Target): string {
  switch (target.kind) {
    case 'issue':
      return `issue #${target.number}`;
    case 'pr':
      return `pull request #${target.number}`;
    case 'branch':
      return `branch ${target.name}`;
    case 'tag':
      return `tag ${target.name} (read-only)`;
    case 'adhoc':
      return 'an ad-hoc task';
  }
}

/** An id for a run with no issue, PR, branch or tag: sortable and unique enough. */
export function adhocId(now: Date, random: () => number): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const suffix = Math.floor(random() * 0x10000).toString(16).padStart(4, '0');
  return `run-${stamp}-${suffix}`;
}
