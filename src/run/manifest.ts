import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { PreparedDispatch } from '../dispatch/prepare-dispatch.js';
import { writeJsonAtomic } from '../fs/atomic-write.js';
import { agentctlVersion } from '../version.js';
import { workspaceLayout } from '../core/workspace/layout.js';
import { planImage, planRuntime } from '../core/run/run-plan.js';

/** What dispatch was asked, in a form that can be asked again. */
export interface ReplayRequest {
  repo: string;
  task?: string | undefined;
  agent: string;
  issue?: string | undefined;
  pr?: string | undefined;
  branch?: string | undefined;
  tag?: string | undefined;
  template?: string | undefined;
  persona?: string | undefined;
  planTemplate?: string | undefined;
  var: string[];
  runtime?: string | undefined;
  gpu?: boolean | undefined;
}

/** The run's manifest.json (host-side state): everything needed to reproduce a run, secrets by name only. */
export interface Manifest {
  version: 1;
  agentctl: string;
  createdAt: string;
  request: ReplayRequest;
  agent: string;
  agentCli: { name: string; version: string | undefined };
  runtime: string;
  image: string | undefined;
  imageId: string | undefined;
  argv: string[];
  envNames: string[];
  template: string;
  persona: string | undefined;
  planTemplate: string | undefined;
  promptSha256: string;
  commit: string;
}

export function manifestPath(workspace: string): string {
  return workspaceLayout(workspace).manifest;
}

export function buildManifest(
  prepared: PreparedDispatch,
  request: ReplayRequest,
  facts: { createdAt: Date; cliVersion: string | undefined; imageId: string | undefined },
): Manifest {
  return {
    version: 1,
    agentctl: agentctlVersion(),
    createdAt: facts.createdAt.toISOString(),
    request,
    agent: prepared.agent.spec,
    agentCli: { name: prepared.command.argv[0] as string, version: facts.cliVersion },
    runtime: planRuntime(prepared.run),
    image: planImage(prepared.run),
    imageId: facts.imageId,
    argv: prepared.command.argv,
    envNames: prepared.command.env,
    template: prepared.template,
    persona: prepared.persona,
    planTemplate: prepared.plan,
    promptSha256: createHash('sha256').update(prepared.prompt).digest('hex'),
    commit: prepared.record.commit,
  };
}

export function writeManifest(workspace: string, manifest: Manifest): void {
  writeJsonAtomic(manifestPath(workspace), manifest);
}

export function readManifest(workspace: string): Manifest | undefined {
  try {
    const manifest = JSON.parse(readFileSync(manifestPath(workspace), 'utf8')) as Manifest;
    return manifest.version === 1 ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/** `<cli> --version` on the host, or undefined when it is not installed or says nothing in time. */
export function hostCliVersion(program: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(program, ['--version'], { env, timeout: 5000, encoding: 'utf8' }, (error, stdout) => {
      resolve(error === null ? stdout.trim().split('\n')[0] : undefined);
    });
  });
}
