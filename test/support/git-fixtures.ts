import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Fixture',
  GIT_AUTHOR_EMAIL: 'fixture@example.com',
  GIT_COMMITTER_NAME: 'Fixture',
  GIT_COMMITTER_EMAIL: 'fixture@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' }).trim();
}

export interface Forge {
  /** Directory holding org/repo.git bare repos. */
  dir: string;
  /** file:// URL of dir. */
  url: string;
  /** Create org/name.git with the given files on main; returns the path of a work clone to add commits from. */
  createRepo(org: string, name: string, files: Record<string, string>): string;
  /** Commit files in a work clone and push to its forge repo. */
  commit(work: string, files: Record<string, string>, message: string, branch?: string): string;
  cleanup(): void;
}

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `agentctl-${prefix}-`));
}

function writeFiles(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

/** A directory of bare repos reached through file://, standing in for a forge's git side. */
export function makeForge(): Forge {
  const dir = makeTempDir('forge');
  return {
    dir,
    url: `file://${dir}`,
    createRepo(org, name, files) {
      const bare = join(dir, org, `${name}.git`);
      mkdirSync(bare, { recursive: true });
      git(bare, 'init', '--bare', '--quiet', '--initial-branch=main');
      const work = join(dir, '.work', org, name);
      mkdirSync(work, { recursive: true });
      git(work, 'init', '--quiet', '--initial-branch=main');
      git(work, 'remote', 'add', 'origin', bare);
      writeFiles(work, files);
      git(work, 'add', '-A');
      git(work, 'commit', '--quiet', '-m', 'Initial commit');
      git(work, 'push', '--quiet', 'origin', 'main');
      return work;
    },
    commit(work, files, message, branch = 'main') {
      const current = git(work, 'rev-parse', '--abbrev-ref', 'HEAD');
      if (current !== branch) git(work, 'checkout', '--quiet', '-B', branch);
      writeFiles(work, files);
      git(work, 'add', '-A');
      git(work, 'commit', '--quiet', '-m', message);
      git(work, 'push', '--quiet', 'origin', branch);
      return git(work, 'rev-parse', 'HEAD');
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
