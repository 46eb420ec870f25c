import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { AgentctlError, ExitCode, usageError } from '../core/errors.js';
import type { NamedText } from '../core/prompt/assemble-prompt.js';


export type TemplateKind = 'template' | 'persona' | 'plan';

const SLUG = /^[a-z0-9][a-z0-9_-]*$/i;
const MAX_TEMPLATE_BYTES = 256 * 1024;

export interface TemplateDirs {
  /** Searched first to last: project, user, built-in. */
  roots: string[];
  cwd: string;
}

function subdir(kind: TemplateKind): string {
  return kind === 'template' ? 'templates' : kind === 'persona' ? 'personas' : join('templates', 'plans');
}

function flag(kind: TemplateKind): string {
  return kind === 'template' ? '--template' : kind === 'persona' ? '--persona' : '--plan-template';
}

function readText(path: string, what: string): string {
  const text = readFileSync(path, 'utf8');
  if (Buffer.byteLength(text) > MAX_TEMPLATE_BYTES) {
    throw usageError('template_too_large', `${what} ${path} is larger than ${MAX_TEMPLATE_BYTES} bytes`, 'keep templates short; put long material in the repo');
  }
  return text;
}

export class TemplateStore {
  constructor(private readonly dirs: TemplateDirs) {}

  /** Slugs available for a kind, from every root. */
  list(kind: TemplateKind): string[] {
    const names = new Set<string>();
    for (const root of this.dirs.roots) {
      try {
        for (const entry of readdirSync(join(root, subdir(kind)))) {
          if (entry.endsWith('.md')) names.add(entry.slice(0, -3));
        }
      } catch {
        // a root without this kind of file is fine
      }
    }
    return [...names].sort();
  }

  /** Load by slug, or (for --template) by file path. */
  load(kind: TemplateKind, nameOrPath: string): NamedText {
    if (!SLUG.test(nameOrPath)) {
      if (kind === 'template' && nameOrPath.endsWith('.md')) {
        const path = resolve(this.dirs.cwd, nameOrPath);
        try {
          return { name: basename(path), text: readText(path, 'template') };
        } catch (error) {
          if (error instanceof AgentctlError) throw error;
          throw usageError('template_unreadable', `cannot read template file ${path}: ${(error as Error).message}`, 'check the path given to --template');
        }
      }
      throw usageError(
        `unknown_${kind}`,
        `invalid ${kind} name ${JSON.stringify(nameOrPath)}`,
        `${flag(kind)} takes a name such as ${this.list(kind)[0] ?? 'coding'}${kind === 'template' ? ', or a path to a .md file' : ''}`,
      );
    }
    for (const root of this.dirs.roots) {
      const path = join(root, subdir(kind), `${nameOrPath}.md`);
      try {
        return { name: nameOrPath, text: readText(path, kind) };
      } catch (error) {
        if (error instanceof AgentctlError) throw error;
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw new AgentctlError('template_unreadable', `cannot read ${path}: ${(error as Error).message}`, { exitCode: ExitCode.failure });
        }
      }
    }
    const available = this.list(kind);
    throw usageError(
      `unknown_${kind}`,
      `unknown ${kind === 'plan' ? 'plan template' : kind} ${JSON.stringify(nameOrPath)}`,
      `available: ${available.length > 0 ? available.join(', ') : '(none)'}; add your own as ${join('.agentctl', subdir(kind), `${nameOrPath}.md`)} in the project`,
    );
  }
}
