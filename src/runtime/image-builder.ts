import { StringDecoder } from 'node:string_decoder';
import type Dockerode from 'dockerode';
import type { Config } from '../core/config/schema.js';
import type { RuntimeName } from '../core/container/container-spec.js';
import { AgentctlError, ExitCode } from '../core/errors.js';
import { builtIdFromLine, parseBuildEvent } from '../core/image/agent-image.js';
import { dockerodeOptions } from './dockerode-runtime.js';
import type { SshSettings } from './ssh-transport.js';
import { resolveEndpoint, type EngineEndpoint, type EngineName } from './engine-endpoint.js';
import type { Env } from './runtime.js';

export interface BuildRequest {
  /** Directory sent as the build context. */
  contextDir: string;
  /** Files of contextDir sent along (the context is only these). */
  files: string[];
  /** The Containerfile, relative to contextDir. */
  containerfile: string;
  tag: string;
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  /** Build steps use the host's network (Docker's bridge may have no DNS). */
  hostNetwork: boolean;
}

export interface ImageInfo {
  id: string;
  /** The registry digest, when the image came from or went to a registry. */
  digest: string | undefined;
  created: string | undefined;
  size: number | undefined;
  labels: Record<string, string>;
}

export interface RunOnceResult {
  exitCode: number;
  /** stdout and stderr together. */
  output: string;
}

/** Building and looking at images, beside ContainerRuntime (which runs agents). */
export interface ImageBuilder {
  readonly name: RuntimeName;
  /** Build; each output line goes to onLine as it comes. Resolves with the image id when the engine says it. */
  build(request: BuildRequest, onLine: (line: string) => void): Promise<{ id: string | undefined }>;
  /** undefined when the image does not exist. */
  inspectImage(image: string): Promise<ImageInfo | undefined>;
  /** Run argv in a throwaway container of the image (no network), removed afterwards. */
  runOnce(image: string, argv: string[], options: { timeoutMs: number }): Promise<RunOnceResult>;
}

interface EngineHttpError {
  statusCode?: number;
  json?: { message?: string } | null;
  message?: string;
}

function reasonOf(error: unknown): string {
  const engineError = error as EngineHttpError | null;
  return engineError?.json?.message ?? engineError?.message ?? String(error);
}

/** Split a byte stream into lines (UTF-8 safe across chunks); the last partial line is flushed at the end. */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer | string): void; end(): void } {
  const decoder = new StringDecoder('utf8');
  let buffered = '';
  const drain = () => {
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, newline).replace(/\r$/, ''));
      buffered = buffered.slice(newline + 1);
    }
  };
  return {
    push(chunk) {
      buffered += typeof chunk === 'string' ? chunk : decoder.write(chunk);
      drain();
    },
    end() {
      buffered += decoder.end();
      drain();
      if (buffered !== '') onLine(buffered.replace(/\r$/, ''));
      buffered = '';
    },
  };
}

/**
 * Follow Docker's /build response: JSON messages, one a line, whose {stream}
 * texts together are the build output (a message may end mid-line). Each
 * whole output line goes to onLine; the id and the first error are returned.
 */
export async function readBuildStream(stream: NodeJS.ReadableStream, onLine: (line: string) => void): Promise<{ id: string | undefined; failure: string | undefined }> {
  let id: string | undefined;
  let failure: string | undefined;
  const output = lineSplitter((raw) => {
    // A progress line redrawn with \r shows as its last state.
    const line = raw.includes('\r') ? (raw.split('\r').filter((part) => part.trim() !== '').at(-1) ?? '') : raw;
    if (line.trim() === '') return;
    id = builtIdFromLine(line) ?? id;
    onLine(line);
  });
  const messages = lineSplitter((line) => {
    if (line.trim() === '') return;
    let event: unknown;
    try {
      event = JSON.parse(line);
    } catch {
      output.push(`${line}\n`);
      return;
    }
    const parsed = parseBuildEvent(event);
    output.push(parsed.text);
    failure ??= parsed.error;
    if (parsed.imageId !== undefined) id = parsed.imageId;
  });
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer | string) => messages.push(chunk));
    stream.on('end', () => resolve());
    stream.on('error', reject);
  });
  messages.end();
  output.end();
  return { id, failure };
}

/** Docker Engine and Podman through the engine API (dockerode). */
export class DockerodeImageBuilder implements ImageBuilder {
  private constructor(
    readonly name: EngineName,
    private readonly endpoint: Pick<EngineEndpoint, 'url' | 'connection'>,
    private readonly docker: Dockerode,
  ) {}

  static async create(name: EngineName, endpoint: Pick<EngineEndpoint, 'url' | 'connection'>, ssh: SshSettings = {}, env: Env = {}): Promise<DockerodeImageBuilder> {
    const { default: Docker } = await import('dockerode');
    // As in DockerodeRuntime: pin every connection field so DOCKER_HOST never leaks into a podman client.
    return new DockerodeImageBuilder(name, endpoint, new Docker(dockerodeOptions(endpoint.connection, ssh, env)));
  }

  private get title(): string {
    return this.name === 'docker' ? 'Docker' : 'Podman';
  }

  private fail(call: string, error: unknown, hint?: string): AgentctlError {
    return new AgentctlError('engine_error', `${this.title} ${call} failed at ${this.endpoint.url}: ${reasonOf(error)}`, {
      exitCode: ExitCode.environment,
      hint: hint ?? `Check that the ${this.name} engine is running and answering at ${this.endpoint.url}.`,
      cause: error,
    });
  }

  async build(request: BuildRequest, onLine: (line: string) => void): Promise<{ id: string | undefined }> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.buildImage(
        { context: request.contextDir, src: request.files },
        {
          t: request.tag,
          dockerfile: request.containerfile,
          buildargs: request.buildArgs,
          labels: request.labels,
          rm: true,
          forcerm: true,
          ...(request.hostNetwork ? { networkmode: 'host' } : {}),
        },
      );
    } catch (error) {
      throw this.fail(`build of ${request.tag}`, error);
    }
    const { id, failure } = await readBuildStream(stream, onLine).catch((error: unknown) => {
      throw this.fail(`build of ${request.tag}`, error);
    });
    if (failure !== undefined) {
      throw new AgentctlError('image_build_failed', `${this.title} could not build ${request.tag}: ${failure}`, {
        exitCode: ExitCode.environment,
        hint: 'the build output above says which step failed; the build needs the Debian mirror and the npm registry, and a base image the engine has (--base)',
      });
    }
    // Podman's compatible API does not always send the id: ask for it.
    return { id: id ?? (await this.inspectImage(request.tag))?.id };
  }

  async inspectImage(image: string): Promise<ImageInfo | undefined> {
    let info: Dockerode.ImageInspectInfo;
    try {
      info = await this.docker.getImage(image).inspect();
    } catch (error) {
      if ((error as EngineHttpError | null)?.statusCode === 404) return undefined;
      throw this.fail(`image inspect ${image}`, error);
    }
    const digest = info.RepoDigests?.[0];
    return {
      id: info.Id,
      digest: digest === undefined ? undefined : digest.slice(digest.indexOf('@') + 1),
      created: info.Created,
      size: info.Size,
      labels: info.Config?.Labels ?? {},
    };
  }

  async runOnce(image: string, argv: string[], options: { timeoutMs: number }): Promise<RunOnceResult> {
    let container: Dockerode.Container;
    try {
      container = await this.docker.createContainer({
        Image: image,
        Cmd: argv,
        Env: ['TERM=dumb', 'NO_COLOR=1', 'CI=true'],
        Labels: { 'dev.agentctl.purpose': 'image-status' },
        HostConfig: { NetworkMode: 'none', AutoRemove: false },
      });
    } catch (error) {
      throw this.fail(`create of a container from ${image}`, error);
    }
    try {
      await container.start();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
      });
      const result = await Promise.race([container.wait() as Promise<{ StatusCode: number }>, timedOut]);
      clearTimeout(timer);
      if (result === 'timeout') await container.kill().catch(() => undefined);
      const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
      return { exitCode: result === 'timeout' ? 124 : result.StatusCode, output: demux(logs) };
    } catch (error) {
      throw this.fail(`run of ${image}`, error);
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  }
}

/** Docker's multiplexed log format (8-byte frame headers) without a TTY; plain text passes through. */
export function demux(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const kind = buffer[offset];
    const size = buffer.readUInt32BE(offset + 4);
    if ((kind !== 0 && kind !== 1 && kind !== 2) || buffer[offset + 1] !== 0 || offset + 8 + size > buffer.length) {
      return Buffer.concat([...parts, buffer.subarray(offset)]).toString('utf8');
    }
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  if (offset < buffer.length) parts.push(buffer.subarray(offset));
  return Buffer.concat(parts).toString('utf8');
}

/** One command line; the exit code is never thrown. */
export type StreamExec = (argv: string[], options: { onLine?: (line: string) => void; timeoutMs?: number }) => Promise<{ exitCode: number; output: string }>;

async function execaStream(argv: string[], options: { onLine?: (line: string) => void; timeoutMs?: number }): Promise<{ exitCode: number; output: string }> {
  const { execa } = await import('execa');
  const [file, ...args] = argv;
  const child = execa(file!, args, { reject: false, stdin: 'ignore', all: true, timeout: options.timeoutMs, buffer: true });
  if (options.onLine !== undefined) {
    const lines = lineSplitter(options.onLine);
    child.all?.on('data', (chunk: Buffer) => lines.push(chunk));
    child.all?.on('end', () => lines.end());
  }
  const result = await child;
  if (result.exitCode === undefined) return { exitCode: 127, output: String(result.message) };
  return { exitCode: result.exitCode, output: typeof result.all === 'string' ? result.all : '' };
}

/** Apple's `container` CLI: `container build`, `container image inspect`, `container run --rm`. */
export class AppleImageBuilder implements ImageBuilder {
  readonly name = 'apple' as const;
  constructor(private readonly exec: StreamExec = execaStream) {}

  /** The `container build` argv for a request (no shell, no secrets). */
  static buildArgv(request: BuildRequest): string[] {
    return [
      'container',
      'build',
      '--tag',
      request.tag,
      '--file',
      `${request.contextDir.replace(/\/$/, '')}/${request.containerfile}`,
      ...Object.entries(request.buildArgs).flatMap(([key, value]) => ['--build-arg', `${key}=${value}`]),
      ...Object.entries(request.labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
      request.contextDir,
    ];
  }

  async build(request: BuildRequest, onLine: (line: string) => void): Promise<{ id: string | undefined }> {
    const result = await this.exec(AppleImageBuilder.buildArgv(request), { onLine });
    if (result.exitCode !== 0) {
      const last = result.output.trim().split('\n').at(-1) ?? `exit code ${result.exitCode}`;
      throw new AgentctlError('image_build_failed', `Apple container could not build ${request.tag}: ${last}`, {
        exitCode: ExitCode.environment,
        hint: 'the build output above says which step failed; check `container system status`',
      });
    }
    return { id: (await this.inspectImage(request.tag))?.id };
  }

  async inspectImage(image: string): Promise<ImageInfo | undefined> {
    const result = await this.exec(['container', 'image', 'inspect', image], { timeoutMs: 30_000 });
    if (result.exitCode !== 0) {
      if (/not found|no such/i.test(result.output)) return undefined;
      throw new AgentctlError('engine_error', `Apple container image inspect ${image} failed: ${result.output.trim()}`, {
        exitCode: ExitCode.environment,
        hint: 'check that Apple container is running: `container system status`, then `container system start`',
      });
    }
    return parseAppleImage(result.output);
  }

  async runOnce(image: string, argv: string[], options: { timeoutMs: number }): Promise<RunOnceResult> {
    return this.exec(['container', 'run', '--rm', '--network', 'none', image, ...argv], { timeoutMs: options.timeoutMs });
  }
}

/** `container image inspect` prints a JSON array; its index or manifest descriptor carries the digest. */
export function parseAppleImage(output: string): ImageInfo | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch {
    return undefined;
  }
  const first = (Array.isArray(parsed) ? parsed[0] : parsed) as
    | { index?: { digest?: string; size?: number }; descriptor?: { digest?: string; size?: number }; digest?: string; name?: string; labels?: Record<string, string> }
    | undefined;
  if (first === undefined || first === null) return undefined;
  const digest = first.index?.digest ?? first.descriptor?.digest ?? first.digest;
  if (digest === undefined) return undefined;
  return { id: digest, digest, created: undefined, size: first.index?.size ?? first.descriptor?.size, labels: first.labels ?? {} };
}

/** The builder for a runtime, reaching the engine the same way the runtime registry does. */
export async function imageBuilderFor(name: RuntimeName, config: Config, env: Env, uid: number): Promise<ImageBuilder> {
  if (name === 'apple') return new AppleImageBuilder();
  const ssh = { identity: config.runtime.ssh.identity, knownHosts: config.runtime.ssh.known_hosts };
  // A swarm's images are built on its manager's engine (each node needs them too: see the README).
  if (name === 'swarm') return DockerodeImageBuilder.create('docker', (await import('./swarm-runtime.js')).swarmEndpoint(config, env, uid), ssh, env);
  return DockerodeImageBuilder.create(name, resolveEndpoint(name, { env, runtime: config.runtime, uid }), ssh, env);
}
