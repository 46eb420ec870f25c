import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGE, type CommandHarness } from '../../fakes/command-harness.js';
import type { FakeDeps } from '../../fakes/fake-deps.js';

/** What `<cli> --version` says inside the fake image, as dispatch caches it per image id. */
export const CLI_VERSIONS: Readonly<Record<string, string>> = {
  claude: '2.0.37 (Claude Code)',
  codex: 'codex-cli 0.58.0',
  gemini: '0.16.0',
  coderabbit: '0.3.4',
};

export function cliVersionsPath(d: FakeDeps): string {
  return join(d.state, 'cache', 'cli-versions.json');
}

/**
 * Pretend the agent CLIs' versions in `image` were asked before. A real
 * dispatch asks once per image id with a throwaway `<cli> --version`
 * container; FakeRuntime containers only end when a test ends them, so
 * tests about something else start with the answer cached.
 */
export function seedCliVersions(d: FakeDeps, image = IMAGE): void {
  mkdirSync(join(d.state, 'cache'), { recursive: true });
  writeFileSync(cliVersionsPath(d), JSON.stringify({ [`sha256:fake-${image}`]: CLI_VERSIONS }));
}

/** The harness, with every setup's CLI versions cached (see seedCliVersions). */
export function withCliVersions(h: CommandHarness): CommandHarness {
  return {
    get forge() {
      return h.forge;
    },
    setup(registry, options) {
      const d = h.setup(registry, options);
      seedCliVersions(d);
      return d;
    },
    workspaceOf: (d, slot, repo) => h.workspaceOf(d, slot, repo),
    statusOf: (d, slot) => h.statusOf(d, slot),
  };
}
