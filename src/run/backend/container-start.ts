import { CONTAINER_PATHS, workspaceLayout } from '../../core/workspace/layout.js';
import type { ContainerSpec } from '../../core/container/container-spec.js';
import { packTrees } from '../../fs/tar-pack.js';
import type { ContainerRuntime, Env, RemoteEngine } from '../../runtime/runtime.js';
import type { QaSandbox } from './agent-backend.js';
import { replaceFromArchive } from './remote-sync.js';

/** A container user "uid:gid" as numbers (the agent owns what it is given); root when it names no numbers. */
export function containerOwner(user: string): { uid: number; gid: number } {
  const [uid, gid] = user.split(':').map(Number);
  return Number.isSafeInteger(uid) && Number.isSafeInteger(gid) ? { uid: uid!, gid: gid! } : { uid: 0, gid: 0 };
}

/**
 * Create a container on a remote engine with the workspace's `parts` put
 * into its own /workspace volume, then start it. A container that could not
 * be filled or started is removed: it would look like a live run to a later list.
 */
export async function startWithCopies(engine: ContainerRuntime, remote: RemoteEngine, spec: ContainerSpec, env: Env, workspace: string, parts: ReadonlyArray<'repo' | 'outbox' | 'inbox'>): Promise<{ id: string }> {
  const { id } = await remote.create({ ...spec, mounts: [], configMounts: [], autoRemove: false }, env);
  try {
    const layout = workspaceLayout(workspace);
    const owner = containerOwner(spec.user);
    // The prompt stays root's and read-only: the agent can read it, not change it.
    const archive = packTrees(parts.map((part) => (part === 'inbox' ? { dir: layout.inbox, as: part, uid: 0, gid: 0, readOnly: true } : { dir: layout[part], as: part, ...owner })));
    await remote.putArchive(id, CONTAINER_PATHS.root, archive);
    await remote.startCreated(id);
  } catch (error) {
    await engine.remove(id).catch(() => undefined);
    throw error;
  }
  return { id };
}

/** How QA's container gets the workspace on `engine`: bind mounts on this machine; copied in, and its outbox back, on a remote one. */
export function qaSandboxOn(engine: ContainerRuntime, image: string, lend: boolean, workspace: string): QaSandbox {
  const remote = engine.remote;
  if (remote === undefined) return { runtime: engine.name, image, lend, start: (spec, env) => engine.start(spec, env), bringBack: async () => undefined };
  return {
    runtime: engine.name,
    image,
    // The copy is owned by the container's user in the archive: nothing here is lent.
    lend: false,
    start: (spec, env) => startWithCopies(engine, remote, spec, env, workspace, ['repo', 'outbox']),
    bringBack: async (id) => {
      await replaceFromArchive(workspace, 'outbox', await remote.getArchive(id, CONTAINER_PATHS.outbox));
    },
  };
}
