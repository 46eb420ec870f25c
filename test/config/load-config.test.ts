import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type LoadConfigInput } from '../../src/config/load-config.js';
import { AgentctlError } from '../../src/core/errors.js';

let dir: string;
let home: string;
let userFile: string;
let cachePath: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agentctl-load-config-'));
  home = join(dir, 'home');
  userFile = join(home, '.config', 'agentctl', 'config.yaml');
  cachePath = join(dir, 'state', 'cache', 'config.json');
  mkdirSync(join(home, '.config', 'agentctl'), { recursive: true });
});
afterEach(() => {
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

function input(env: Record<string, string> = {}, fingerprint = 'build-1'): LoadConfigInput {
  return { env, home, cwd: dir, cache: { path: cachePath, fingerprint }, stateHome: join(dir, 'state') };
}

/** The cache file as agentctl left it, with one entry's config replaced: what a later load returns shows whether it read the entry. */
function markCachedEntries(agent: string): void {
  const entries = JSON.parse(readFileSync(cachePath, 'utf8')) as Array<{ config: { defaults: { agent: string } } }>;
  for (const entry of entries) entry.config.defaults.agent = agent;
  writeFileSync(cachePath, JSON.stringify(entries));
}

describe('loadConfig with a cache of validated configs', () => {
  it('keeps a validated config and serves it again while nothing it was made from changed', async () => {
    writeFileSync(userFile, 'defaults:\n  agent: claude\n');
    const first = await loadConfig(input());
    expect(first.config.defaults.agent).toBe('claude');
    expect(first.sources).toEqual([userFile]);
    markCachedEntries('from-the-cache');
    const again = await loadConfig(input());
    expect(again.config.defaults.agent).toBe('from-the-cache');
    expect(again.sources).toEqual([userFile]);
  });

  it.each<[string, () => LoadConfigInput, string]>([
    ['the file changes', () => (writeFileSync(userFile, 'defaults:\n  agent: gemini\n'), input()), 'gemini'],
    ['an AGENTCTL_* override is set', () => input({ AGENTCTL_AGENT: 'gemini' }), 'gemini'],
    ['the build is another one', () => input({}, 'build-2'), 'claude'],
  ])('validates again when %s', async (_name, next, agent) => {
    writeFileSync(userFile, 'defaults:\n  agent: claude\n');
    await loadConfig(input());
    markCachedEntries('from-the-cache');
    expect((await loadConfig(next())).config.defaults.agent).toBe(agent);
  });

  it('never keeps a config with a mistake: it is refused every time', async () => {
    writeFileSync(userFile, 'defaults:\n  agnet: claude\n');
    for (let i = 0; i < 2; i += 1) {
      const error = await loadConfig(input()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AgentctlError);
      expect((error as AgentctlError).message).toBe(`invalid config ${userFile}, line 2: defaults.agnet: unknown setting "agnet"`);
    }
  });

  it('treats a damaged cache file as empty, and rewrites it', async () => {
    writeFileSync(userFile, 'defaults:\n  agent: claude\n');
    mkdirSync(join(dir, 'state', 'cache'), { recursive: true });
    writeFileSync(cachePath, '{"not": "a list"');
    expect((await loadConfig(input())).config.defaults.agent).toBe('claude');
    expect(JSON.parse(readFileSync(cachePath, 'utf8'))).toHaveLength(1);
  });

  it('still loads when the state dir cannot be written', async () => {
    writeFileSync(userFile, 'defaults:\n  agent: claude\n');
    mkdirSync(join(dir, 'state'), { recursive: true });
    chmodSync(join(dir, 'state'), 0o500);
    const cannotWrite = (() => {
      try {
        writeFileSync(join(dir, 'state', 'probe'), '');
        return false;
      } catch {
        return true;
      }
    })();
    expect((await loadConfig(input())).config.defaults.agent).toBe('claude');
    if (cannotWrite) expect(() => readFileSync(cachePath)).toThrow();
    chmodSync(join(dir, 'state'), 0o755);
  });

  it('keeps a few configs, newest first, so projects used in turn all stay cached', async () => {
    for (let i = 0; i < 10; i += 1) {
      writeFileSync(userFile, `defaults:\n  org: org-${i}\n`);
      await loadConfig(input());
    }
    const entries = JSON.parse(readFileSync(cachePath, 'utf8')) as Array<{ config: { defaults: { org: string } } }>;
    expect(entries.map((e) => e.config.defaults.org)).toEqual(['org-9', 'org-8', 'org-7', 'org-6', 'org-5', 'org-4', 'org-3', 'org-2']);
  });
});
