import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { buildHardening } from '../core/container/hardening.js';
import type { CliProbe } from '../core/doctor/agent-cli-checks.js';
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
 * Ask an image for an agent CLI (a throwaway container running
 * `<cli> --version`, its answer written to `outboxDir`); a found version is
 * cached per image ID, so this costs a container once per image.
 */
export async function probeImageCli(
  runtime: ContainerRuntime,
  image: string,
  imageId: string,
  cli: string,
  outboxDir: string,
  home: string,
  env: Env,
): Promise<CliProbe> {
  const cache = readCache(home);
  const known = cache[imageId]?.[cli];
  if (known !== undefined) return { found: true, version: known };
  // The answer comes back through the outbox, read like anything else from a container: bounded, no links.
  const out = join(outboxDir, 'cli-version.txt');
  const spec: ContainerSpec = {
    image,
    // Unique: doctor asks for several CLIs at once.
    name: `agentctl-version-${cli.replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 40)}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
    labels: { [`${LABEL_PREFIX}.role`]: 'cli-version' },
    mounts: [{ hostPath: outboxDir, containerPath: CONTAINER_PATHS.outbox, readOnly: false }],
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
  let probe: CliProbe;
  try {
    const { id } = await runtime.start(spec, env);
    try {
      // A CLI whose --version hangs must not hang the dispatch.
      const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 30_000).unref());
      const result = await Promise.race([runtime.wait(id), timeout]);
      if (result === undefined) {
        await runtime.stop(id, 0);
        probe = { found: undefined, error: `${cli} --version did not answer within 30 s` };
      } else if (result.exitCode === 0) probe = { found: true, version: readUntrusted(out, 4096)?.text.trim().split('\n')[0] };
      // The shell's "not found".
      else if (result.exitCode === 127) probe = { found: false };
      else probe = { found: undefined, error: `${cli} --version exited with code ${result.exitCode}` };
    } finally {
      await runtime.remove(id);
    }
  } catch (error) {
    return { found: undefined, error: (error as Error).message };
  } finally {
    rmSync(out, { force: true });
  }
  if (probe.found === true && probe.version !== undefined) {
    try {
      mkdirSync(dirname(cachePath(home)), { recursive: true });
      cache[imageId] = { ...(cache[imageId] ?? {}), [cli]: probe.version };
      writeJsonAtomic(cachePath(home), cache);
    } catch {
      // Only a cache: an unwritable state dir (which doctor reports) costs a probe next time.
    }
  }
  return probe;
}

/** The version of an agent CLI inside an image, for a run's manifest (see probeImageCli). */
export async function imageCliVersion(
  runtime: ContainerRuntime,
  image: string,
  imageId: string,
  cli: string,
  workspace: string,
  home: string,
  env: Env,
): Promise<string | undefined> {
  const probe = await probeImageCli(runtime, image, imageId, cli, workspaceLayout(workspace).outbox, home, env);
  return probe.found === true ? probe.version : undefined;
}
