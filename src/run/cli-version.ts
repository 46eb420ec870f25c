import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { buildHardening } from '../core/container/hardening.js';
import { AGENT_HOME, LABEL_PREFIX, type ContainerSpec } from '../core/container/container-spec.js';
import { CONTAINER_PATHS, workspaceLayout } from '../core/workspace/layout.js';
import { writeJsonAtomic } from '../fs/atomic-write.js';
import { readUntrusted } from '../fs/untrusted-file.js';
import type { ContainerRuntime, Env } from '../runtime/runtime.js';

type Cache = Record<string, Record<string, string>>;

function cachePath(home: string): string {
  return join(home, 'cache', 'cli-versions.json');
}

function readCache(home: string): Cache {
  try {
    return JSON.parse(readFileSync(cachePath(home), 'utf8')) as Cache;
  } catch {
    return {};
  }
}

/**
 * The version of an agent CLI inside an image, asked once per image ID (a
 * throwaway container running `<cli> --version`) and cached.
 */
export async function imageCliVersion(
  runtime: ContainerRuntime,
  image: string,
  imageId: string,
  cli: string,
  workspace: string,
  home: string,
  env: Env,
): Promise<string | undefined> {
  const cache = readCache(home);
  const known = cache[imageId]?.[cli];
  if (known !== undefined) return known;
  // The answer comes back through the outbox, read like anything else from a container: bounded, no links.
  const out = join(workspaceLayout(workspace).outbox, 'cli-version.txt');
  const spec: ContainerSpec = {
    image,
    name: `agentctl-version-${Date.now().toString(36)}`,
    labels: { [`${LABEL_PREFIX}.role`]: 'cli-version' },
    mounts: [{ hostPath: workspaceLayout(workspace).outbox, containerPath: CONTAINER_PATHS.outbox, readOnly: false }],
    configMounts: [],
    // The image is trusted, but the probe gets the same walls as the agent: nothing here needs more.
    hardening: buildHardening({ home: AGENT_HOME, hostCpus: availableParallelism() }),
    workdir: CONTAINER_PATHS.outbox,
    env: [{ name: 'HOME', value: '/tmp' }],
    // As the workspace's owner (us), to write the answer into an outbox the agent user does not own
    // yet: with every capability dropped, even root in the container could not write to another uid's.
    user: `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`,
    gpu: false,
    extraHosts: [],
    argv: ['sh', '-c', `"$0" --version > ${CONTAINER_PATHS.outbox}/cli-version.txt 2>&1`, cli],
    stdin: false,
    autoRemove: false,
  };
  let version: string | undefined;
  try {
    const { id } = await runtime.start(spec, env);
    try {
      // A CLI whose --version hangs must not hang the dispatch.
      const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 30_000).unref());
      const result = await Promise.race([runtime.wait(id), timeout]);
      if (result === undefined) await runtime.stop(id, 0);
      else if (result.exitCode === 0) version = readUntrusted(out, 4096)?.text.trim().split('\n')[0];
    } finally {
      await runtime.remove(id);
    }
  } catch {
    return undefined;
  } finally {
    rmSync(out, { force: true });
  }
  if (version !== undefined) {
    mkdirSync(dirname(cachePath(home)), { recursive: true });
    cache[imageId] = { ...(cache[imageId] ?? {}), [cli]: version };
    writeJsonAtomic(cachePath(home), cache);
  }
  return version;
}
