import type { RepoRef } from '../core/repo-spec.js';
import type { Forge, RepoId } from './forge.js';

/** How commands and runs reach forges: by the repo being worked on, or by config key. */
export interface ForgeAccess {
  /** The forge and owner/repo for a repo, or undefined when it is on no configured forge with an HTTP API. */
  forRepo(repo: RepoRef): Promise<{ forge: Forge; repo: RepoId } | undefined>;
  byKey(key: string): Promise<Forge>;
}
