import { createHash, timingSafeEqual } from 'node:crypto';
import { closeSync, constants, existsSync, fstatSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { workspaceLayout } from '../../core/workspace/layout.js';
import { packTrees } from '../../fs/tar-pack.js';
import { TarRefused } from '../../fs/untrusted-tar.js';
import { replaceFromArchive } from './remote-sync.js';

/** By require: an ESM import of node:http loads Node's bundled undici, ~40 ms of the courier's start (see ssh-transport.ts). */
const { createServer } = createRequire(import.meta.url)('node:http') as typeof import('node:http');

/**
 * The courier: one small HTTP server per Swarm run, in a process of its own
 * (detached, so it outlives the agentctl that started the run, and a kill -9
 * of that agentctl loses nothing). It is the run's only way in and out:
 * - GET /in: repo/, outbox/ and inbox/ as a tar archive, packed here;
 * - GET /state: "stop" once agentctl has stopped the run (cancel, timeout),
 *   since Swarm (20.10) does not stop the task of a removed job;
 * - POST /log?offset=N: the agent log's next bytes, appended to the local
 *   outbox log when N is where the task's last chunk ended (the live log,
 *   idle timeout and budget read it as for any run);
 * - PUT /out/outbox, /out/repo: the trees at the end, extracted by the
 *   hostile-archive code (bounded, regular files and directories only) and
 *   swapped in whole; what came back is recorded for the adapter.
 * Every request must carry the run's token (from the Swarm secret); the
 * task names no path: every file here is the host's choice.
 * The courier exits when its record is removed (the run was released or
 * cancelled), or at its deadline; not when both trees are back: the agent
 * can send them early (it can read the token) and run on, and the task
 * must still hear a stop through /state.
 */
export interface CourierConfig {
  workspace: string;
  runCount: number;
  /** The agent log in the local outbox. */
  logFile: string;
  token: string;
  /** Where it listens: the callback address (an ephemeral port). */
  bind: string;
  /** The owner the task's files get in /in (the task's user). */
  owner: { uid: number; gid: number };
  /** Epoch ms after which the courier gives up. */
  deadline: number;
}

/** What came back of one tree, as the courier recorded it for the adapter. */
export interface Received {
  failure?: string;
  skipped?: string;
}

/** One log POST at most; the task sends at most 1 MiB at a time. */
const MAX_LOG_CHUNK = 2 * 1024 ** 2;
/** The live log stops growing here; the full log's last 64 MiB come back with outbox/ at the end. */
const MAX_LIVE_LOG = 256 * 1024 ** 2;
const CHECK_MS = 2000;

/** The courier's record (port, pid) for a run: the courier lives while it exists. */
export function courierRecord(workspace: string, runCount: number): string {
  return join(workspaceLayout(workspace).swarm, `run-${runCount}.json`);
}

/** What the courier of a run writes when it fails (its own errors: its stdout and stderr are not kept). */
export function courierLog(workspace: string, runCount: number): string {
  return join(workspaceLayout(workspace).swarm, `courier-${runCount}.log`);
}

/** Present once agentctl has stopped the run: the courier tells the task to stop its agent. */
export function stopFile(workspace: string, runCount: number): string {
  return join(workspaceLayout(workspace).swarm, `run-${runCount}.stop`);
}

/** What came back of `part` in that run, once the courier has it. */
export function receivedFile(workspace: string, runCount: number, part: 'outbox' | 'repo'): string {
  return join(workspaceLayout(workspace).swarm, `run-${runCount}-${part}.json`);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function answer(response: ServerResponse, status: number, text = ''): void {
  response.writeHead(status, { 'content-type': 'text/plain' }).end(text);
}

async function readBody(request: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Append to a log of this machine's (the agent's live log, the courier's own); never through a link, never past the bound. */
export function appendLog(file: string, bytes: Buffer, mode = 0o644): void {
  const fd = openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, mode);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size + bytes.length > MAX_LIVE_LOG) return;
    writeSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
}

/** Serve one run; resolves with the port once listening, and calls `done` when the courier should exit. */
export function serveCourier(config: CourierConfig, done: () => void): Promise<number> {
  const layout = workspaceLayout(config.workspace);
  const expected = digest(`Bearer ${config.token}`);
  /** Where the task's log ended at its last chunk taken: a chunk is taken only from there (a retry is not appended twice). */
  let taskLogEnd: number | undefined;
  /**
   * The endpoints taking a body (or sending the workspace) right now: one at
   * a time each, so a task (or an agent with the token) that opens many at
   * once is not given 2 MiB of memory, an extraction on disk, or a walk of
   * the workspace, per request. 503: the task retries.
   */
  const busy = new Set<string>();
  mkdirSync(layout.swarm, { recursive: true, mode: 0o700 });

  const server = createServer((request, response) => {
    const given = digest(request.headers.authorization ?? '');
    if (!timingSafeEqual(given, expected)) {
      request.resume();
      answer(response, 403, 'not this run');
      return;
    }
    const url = new URL(request.url ?? '/', 'http://courier');
    void handle(url, request, response).catch((error: unknown) => {
      if (!response.headersSent) answer(response, 500, (error as Error).message);
      else response.destroy();
    });
  });

  async function handle(url: URL, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method === 'GET' && url.pathname === '/in') {
      // One at a time too: each is a walk of the workspace and an archive streamed (the task asks once).
      if (busy.has('in')) return answer(response, 503, 'busy');
      busy.add('in');
      response.on('close', () => busy.delete('in'));
      const archive = packTrees([
        { dir: layout.repo, as: 'repo', ...config.owner },
        { dir: layout.outbox, as: 'outbox', ...config.owner },
        // Writable: the task's user unpacks it (a read-only directory could not be filled), and nothing of inbox/ comes back.
        { dir: layout.inbox, as: 'inbox', ...config.owner },
      ]);
      response.writeHead(200, { 'content-type': 'application/x-tar' });
      archive.pipe(response);
      return;
    }
    if (request.method === 'GET' && url.pathname === '/state') {
      return answer(response, 200, existsSync(stopFile(config.workspace, config.runCount)) ? 'stop' : 'run');
    }
    const takes = request.method === 'POST' && url.pathname === '/log' ? 'log' : request.method === 'PUT' && (url.pathname === '/out/outbox' || url.pathname === '/out/repo') ? url.pathname : undefined;
    if (takes === undefined) {
      request.resume();
      return answer(response, 404);
    }
    if (busy.has(takes)) {
      request.resume();
      return answer(response, 503, 'busy');
    }
    busy.add(takes);
    try {
      await take(url, request, response);
    } finally {
      busy.delete(takes);
    }
  }

  async function take(url: URL, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (url.pathname === '/log') {
      const offset = Number(url.searchParams.get('offset'));
      const body = await readBody(request, MAX_LOG_CHUNK);
      if (body === undefined || !Number.isSafeInteger(offset) || offset < 0) return answer(response, 413);
      if (taskLogEnd === undefined || offset === taskLogEnd) {
        appendLog(config.logFile, body);
        taskLogEnd = offset + body.length;
      }
      return answer(response, 200);
    }
    const part = url.pathname === '/out/outbox' ? 'outbox' : 'repo';
    let received: Received;
    try {
      const extracted = await replaceFromArchive(config.workspace, part, request);
      received = extracted.skippedCount === 0 ? {} : { skipped: `${extracted.skippedCount} entries of ${part}/ were not brought back (links, devices or bad names), e.g. ${extracted.skipped.slice(0, 3).join(', ')}` };
    } catch (error) {
      if (!(error instanceof TarRefused)) throw error;
      received = { failure: `${part}/ could not be brought back from the swarm: ${error.message}` };
    }
    writeFileSync(receivedFile(config.workspace, config.runCount, part), JSON.stringify(received), { mode: 0o600 });
    answer(response, received.failure === undefined ? 200 : 422, received.failure ?? '');
  }

  let checker: NodeJS.Timeout | undefined;
  function stop(): void {
    clearInterval(checker);
    server.close();
    // Answers still being written finish before the process ends.
    setTimeout(done, 200).unref();
  }

  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, config.bind, () => {
      const { port } = server.address() as { port: number };
      writeFileSync(courierRecord(config.workspace, config.runCount), JSON.stringify({ port, pid: process.pid }), { mode: 0o600 });
      checker = setInterval(() => {
        if (Date.now() > config.deadline || !existsSync(courierRecord(config.workspace, config.runCount))) stop();
      }, CHECK_MS);
      resolve(port);
    });
  });
}
