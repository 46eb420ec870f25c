#!/usr/bin/env node
// Benchmark: the scheduler under load. N queued runs of a no-op agent at a
// pool limit of L, against the same N raw container runs at the same parallelism.
// Goal (from the issue): <= 20 ms overhead per run and <= 150 MB peak RSS.
//
//   node bench/scheduler.mjs                    200 runs, limit 4, podman
//   node bench/scheduler.mjs --runs 40          fewer runs (to iterate)
//   node bench/scheduler.mjs --limit 8          another pool limit (and raw parallelism)
//   node bench/scheduler.mjs --engine docker    Docker instead of Podman
//   node bench/scheduler.mjs --json             one JSON object on stdout
//   node bench/scheduler.mjs --drain supervisor drain with the background supervisor only
//   node bench/scheduler.mjs --bin DIR/bin/agentctl   measure another build (A/B)
//
// Needs a build (npm run build) and the test engines
// (bash test/support/engines.sh all): Podman's API at unix:///tmp/agentctl-podman.sock,
// dockerd at unix:///tmp/agentctl-docker.sock, both holding localhost/agentctl-test:latest.
// AGENTCTL_BENCH_PODMAN_HOST / AGENTCTL_BENCH_DOCKER_HOST / AGENTCTL_BENCH_IMAGE override those.
//
// Setup: a tiny bare repository (one README) over file://, a temporary HOME /
// XDG_CONFIG_HOME / AGENTCTL_HOME, and a user config with runtime.image,
// runtime.prefer, pools.noop.limit, a custom agent `noop: { command: ['true'] }`
// and qa.enabled: false.
//
// Phase A (agentctl): `agentctl freeze`, then N dispatches (`--issue 1..N --agent noop`),
// which queue because agentctl is frozen (not timed; --dispatch-parallel at a time,
// after a first one alone that creates the mirror). Each dispatch also starts a
// background `run-queue --supervise`, which exits at once while frozen; the bench
// waits until none is left. Timed: `agentctl thaw` (whose tick starts the first L
// runs and which spawns a background supervisor) and then, with --drain follow (the
// default), `agentctl run-queue --follow` in the foreground until it exits; with
// --drain supervisor, nothing in the foreground: the bench polls the status files
// (read directly, so the polling finishes nothing itself). The total ends when every
// status.json says completed.
//
// Phase B (raw): the same N `podman run --rm --name NAME IMAGE true` (or `docker run`)
// at parallelism L from a small pool of spawned processes, timed total. It runs right
// before the timed part of phase A and again right after it (--raw-rounds 2, the
// default), and the two totals are averaged, so that other work on the machine weighs
// on both sides alike. Overhead per run = (total A - total B) / N.
//
// Peak RSS: the foreground agentctl processes (every dispatch, thaw, run-queue
// --follow) run under /usr/bin/time (ru_maxrss and CPU time of the node process), and
// every background `run-queue --supervise` of this AGENTCTL_HOME is sampled from
// /proc/<pid>/status (VmHWM) and /proc/<pid>/stat (CPU) every 25 ms. The headline is
// the max over the processes of the timed phase; the dispatches are reported apart.
//
// Per-run times: agentctl's from each workspace's .meta/events.jsonl ("started" is
// stamped at the claim, before the container is created; "finished" carries
// finishedAt, stamped just before the container is removed), the raw ones from each
// spawned CLI process. "Slot idle" integrates (L - runs holding a slot) while runs
// were still waiting. The engine timeline comes from the engine's own event log
// (GET /events): per container create -> start -> die -> remove, and "engine slots
// idle", the integral of (L - live containers) between the first and the last
// create, per run: the time the scheduler leaves the engine short of L containers.
// Only node built-ins are used.

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH_DIR);
const NODE = process.execPath;
const GOAL_OVERHEAD_MS = 20;
const GOAL_RSS_MB = 150;
const TIME_BIN = '/usr/bin/time';

// ---------------------------------------------------------------- options

function usage() {
  return (
    'usage: node bench/scheduler.mjs [--runs N] [--limit L] [--engine podman|docker] [--json]\n' +
    '         [--drain follow|supervisor] [--dispatch-parallel P] [--raw-rounds 1|2] [--bin PATH] [--keep] [--dir DIR]\n'
  );
}

function parseArgs(argv) {
  const opts = {
    runs: 200,
    limit: 4,
    engine: 'podman',
    json: false,
    drain: 'follow',
    dispatchParallel: 8,
    rawRounds: 2,
    bin: join(ROOT, 'bin', 'agentctl'),
    keep: false,
    dir: undefined,
  };
  const takes = ['--runs', '--limit', '--engine', '--drain', '--dispatch-parallel', '--raw-rounds', '--bin', '--dir'];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const name = arg.split('=')[0];
    let v;
    if (takes.includes(name)) {
      v = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[(i += 1)];
      if (v === undefined) {
        process.stderr.write(`bench: ${name} needs a value\n`);
        process.exit(2);
      }
    }
    if (name === '--runs') opts.runs = Number(v);
    else if (name === '--limit') opts.limit = Number(v);
    else if (name === '--engine') opts.engine = v;
    else if (name === '--drain') opts.drain = v;
    else if (name === '--dispatch-parallel') opts.dispatchParallel = Number(v);
    else if (name === '--raw-rounds') opts.rawRounds = Number(v);
    else if (name === '--bin') opts.bin = realpathSync(v);
    else if (name === '--dir') opts.dir = v;
    else if (arg === '--json') opts.json = true;
    else if (arg === '--keep') opts.keep = true;
    else if (arg === '-h' || arg === '--help') {
      process.stdout.write(usage());
      process.exit(0);
    } else {
      process.stderr.write(`bench: unknown argument ${arg}\n${usage()}`);
      process.exit(2);
    }
  }
  for (const [flag, value] of [
    ['--runs', opts.runs],
    ['--limit', opts.limit],
    ['--dispatch-parallel', opts.dispatchParallel],
  ]) {
    if (!Number.isInteger(value) || value < 1) {
      process.stderr.write(`bench: ${flag} needs a positive integer\n`);
      process.exit(2);
    }
  }
  if (opts.engine !== 'podman' && opts.engine !== 'docker') {
    process.stderr.write(`bench: unknown engine ${opts.engine} (podman, docker)\n`);
    process.exit(2);
  }
  if (opts.rawRounds !== 1 && opts.rawRounds !== 2) {
    process.stderr.write('bench: --raw-rounds is 1 (raw runs before the agentctl phase) or 2 (before and after, averaged)\n');
    process.exit(2);
  }
  if (opts.drain !== 'follow' && opts.drain !== 'supervisor') {
    process.stderr.write(`bench: --drain is follow or supervisor, not ${opts.drain}\n`);
    process.exit(2);
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

const IMAGE = process.env.AGENTCTL_BENCH_IMAGE ?? 'localhost/agentctl-test:latest';
const ENGINES = {
  podman: {
    url: process.env.AGENTCTL_BENCH_PODMAN_HOST ?? 'unix:///tmp/agentctl-podman.sock',
    hostVar: 'CONTAINER_HOST',
    cli: (url, name) => ['podman', ['--url', url, 'run', '--rm', ...(name === undefined ? [] : ['--name', name]), IMAGE, 'true']],
  },
  docker: {
    url: process.env.AGENTCTL_BENCH_DOCKER_HOST ?? 'unix:///tmp/agentctl-docker.sock',
    hostVar: 'DOCKER_HOST',
    cli: (url, name) => ['docker', ['-H', url, 'run', '--rm', ...(name === undefined ? [] : ['--name', name]), IMAGE, 'true']],
  },
};
const ENGINE = ENGINES[opts.engine];

if (!existsSync(join(dirname(dirname(opts.bin)), 'dist', 'main.js'))) {
  log(`${dirname(dirname(opts.bin))}/dist is missing: build first (npm run build)`);
  process.exit(1);
}
const HAVE_TIME = spawnSync(TIME_BIN, ['-f', '%M', 'true'], { stdio: 'ignore' }).status === 0;
if (!HAVE_TIME) log(`${TIME_BIN} is missing: the foreground processes' peak RSS is sampled from /proc instead (may miss the last 25 ms)`);

// ---------------------------------------------------------------- environment

if (opts.dir !== undefined) mkdirSync(opts.dir, { recursive: true });
const work = realpathSync(mkdtempSync(join(opts.dir ?? tmpdir(), 'agentctl-scheduler-')));
const home = join(work, 'home');
const configHome = join(home, '.config');
const agentctlHome = join(work, 'agentctl');
const rssDir = join(work, 'rss');
for (const dir of [join(configHome, 'agentctl'), agentctlHome, rssDir]) mkdirSync(dir, { recursive: true });

/** Containers this bench may leave behind on an abort: removed by label on exit. */
const LABEL_KEY = 'dev.agentctl.workspace';
let cleaned = false;
/** Processes this bench spawned that have not ended yet: killed on an abort, before the work dir goes. */
const liveChildren = new Set();
function cleanup() {
  if (cleaned) return;
  cleaned = true;
  for (const child of liveChildren) {
    try {
      process.kill(-child.pid, 'SIGKILL'); // its own process group: /usr/bin/time and the node under it
    } catch {
      // ended meanwhile
    }
  }
  for (const pid of supervisorPids()) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
  }
  // Containers of our workspaces that are still there (an aborted run).
  const [cli] = ENGINE.cli(ENGINE.url);
  const hostArgs = opts.engine === 'podman' ? ['--url', ENGINE.url] : ['-H', ENGINE.url];
  const ids = (spawnSync(cli, [...hostArgs, 'ps', '-aq', '--filter', `label=${LABEL_KEY}`], { encoding: 'utf8' }).stdout ?? '').split('\n').filter(Boolean);
  const inspected = ids.length === 0 ? '' : spawnSync(cli, [...hostArgs, 'inspect', '--format', `{{.Id}} {{index .Config.Labels "${LABEL_KEY}"}}`, ...ids], { encoding: 'utf8' }).stdout;
  const ours = (inspected ?? '')
    .split('\n')
    .map((line) => line.split(' '))
    .filter(([id, ws]) => id && ws?.startsWith(agentctlHome))
    .map(([id]) => id);
  if (ours.length > 0) spawnSync(cli, [...hostArgs, 'rm', '-f', ...ours], { stdio: 'ignore' });
  if (opts.keep) log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

writeFileSync(
  join(configHome, 'agentctl', 'config.yaml'),
  [
    'runtime:',
    `  image: ${IMAGE}`,
    `  prefer: ${opts.engine}`,
    'pools:',
    '  noop:',
    `    limit: ${opts.limit}`,
    'agents:',
    '  noop:',
    "    command: ['true']",
    'qa:',
    '  enabled: false',
    '',
  ].join('\n'),
);

const BASE_ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: home,
  XDG_CONFIG_HOME: configHome,
  AGENTCTL_HOME: agentctlHome,
  LANG: 'C',
  LC_ALL: 'C',
  TMPDIR: process.env.TMPDIR ?? tmpdir(),
  NO_COLOR: '1',
};
const ENV = { ...BASE_ENV, [ENGINE.hostVar]: ENGINE.url };

function run(cmd, args, { env = BASE_ENV, stdout = 'ignore', input } = {}) {
  const res = spawnSync(cmd, args, { cwd: work, env, input, stdio: [input === undefined ? 'ignore' : 'pipe', stdout, 'pipe'], maxBuffer: 16 * 1024 * 1024 });
  if (res.error) throw res.error;
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${res.status ?? res.signal}\n${res.stderr?.toString() ?? ''}`);
  return res;
}
const out = (cmd, args, o = {}) => run(cmd, args, { ...o, stdout: 'pipe' }).stdout.toString().trim();

// A bare repository with one commit of one README, made with plumbing (no clone, no hooks).
// Container names come from org/repo/slot and are global to the engine: a name of our own.
const repoDir = join(work, 'forge', 'bench', `sched-${process.pid.toString(36)}.git`);
mkdirSync(repoDir, { recursive: true });
const GIT_ID = { GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.com' };
run('git', ['init', '--quiet', '--bare', '--initial-branch=main', repoDir]);
const blob = out('git', ['-C', repoDir, 'hash-object', '-w', '--stdin'], { input: '# noop\n\nA repository for the scheduler benchmark.\n' });
const tree = out('git', ['-C', repoDir, 'mktree'], { input: `100644 blob ${blob}\tREADME.md\n` });
const commit = out('git', ['-C', repoDir, 'commit-tree', tree, '-m', 'init'], { env: { ...BASE_ENV, ...GIT_ID } });
run('git', ['-C', repoDir, 'update-ref', 'refs/heads/main', commit]);
const repoUrl = pathToFileURL(repoDir).href;

// ---------------------------------------------------------------- helpers

const now = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
const round = (x, digits = 1) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : null);
function summary(xs) {
  return { n: xs.length, median: round(median(xs)), p90: round(quantile(xs, 0.9)), min: round(Math.min(...xs)), max: round(Math.max(...xs)) };
}

/** A small promise pool: run `task(i)` for i in 0..n-1, at most `parallel` at a time. */
async function pool(n, parallel, task) {
  const results = new Array(n);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next;
      next += 1;
      if (i >= n) return;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
  return results;
}

let rssSeq = 0;
/**
 * Run a process to its end, under /usr/bin/time when there is one (for the
 * peak RSS of the process itself): wall time, output, and maxRssKb.
 */
function timedProcess(cmd, args, { env = ENV, measureRss = false } = {}) {
  return new Promise((resolve, reject) => {
    let file;
    let argv = [cmd, ...args];
    if (measureRss && HAVE_TIME) {
      file = join(rssDir, `${(rssSeq += 1)}.txt`);
      argv = [TIME_BIN, '-f', '%M %U %S', '-o', file, cmd, ...args];
    }
    const start = now();
    const child = spawn(argv[0], argv.slice(1), { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    liveChildren.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const total = now() - start;
      liveChildren.delete(child);
      let maxRssKb;
      let cpuMs;
      if (file !== undefined) {
        const m = /^(\d+) ([\d.]+) ([\d.]+)$/.exec(readFileSync(file, 'utf8').trim().split('\n').at(-1) ?? '');
        if (m !== null) {
          maxRssKb = Number(m[1]);
          cpuMs = (Number(m[2]) + Number(m[3])) * 1000;
        }
      }
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited with ${code ?? signal}\n${stderr}${stdout}`));
      else resolve({ total, stdout, stderr, maxRssKb, cpuMs, start, end: start + total });
    });
  });
}

function api(url, method, path, timeout = 5000) {
  const conn = url.startsWith('unix://') ? { socketPath: url.slice('unix://'.length) } : (() => {
    const u = new URL(url.replace(/^tcp:/, 'http:'));
    return { host: u.hostname, port: Number(u.port || 2375) };
  })();
  return new Promise((resolve, reject) => {
    const req = http.request({ ...conn, method, path, timeout }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString() }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeout} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Listen to the engine's container events from now on (GET /events, a stream),
 * as [{ id, name, action, t (ms, the engine's own time stamp) }]. A live
 * subscription, because the history is no use here: Docker keeps only its last
 * 256 events, and Podman 4.3 answers nothing for an `until` in the past.
 */
function captureEngineEvents() {
  const filters = encodeURIComponent(JSON.stringify({ type: ['container'] }));
  const conn = ENGINE.url.startsWith('unix://')
    ? { socketPath: ENGINE.url.slice('unix://'.length) }
    : (() => {
        const u = new URL(ENGINE.url.replace(/^tcp:/, 'http:'));
        return { host: u.hostname, port: Number(u.port || 2375) };
      })();
  const events = [];
  let buffer = '';
  let failure;
  const take = (line) => {
    if (line.trim() === '') return;
    let e;
    try {
      e = JSON.parse(line);
    } catch {
      return;
    }
    const t = e.timeNano !== undefined ? e.timeNano / 1e6 : e.time * 1000;
    events.push({ id: e.id ?? e.Actor?.ID, name: e.Actor?.Attributes?.name, action: e.Action ?? e.status, t });
  };
  const req = http.request({ ...conn, method: 'GET', path: `/v1.41/events?filters=${filters}` }, (res) => {
    if (res.statusCode !== 200) failure = new Error(`GET /events: HTTP ${res.statusCode}`);
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      buffer += chunk;
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        take(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
      }
    });
    res.on('error', () => undefined);
  });
  req.on('error', (error) => {
    failure ??= error;
  });
  req.end();
  return {
    /** Stop listening after `graceMs` (Podman delivers its events up to ~250 ms late). */
    async stop(graceMs = 1000) {
      await sleep(graceMs);
      req.destroy();
      if (failure !== undefined) throw failure;
      take(buffer);
      return events;
    },
  };
}

/** Per container: the first time of each lifecycle action (create, start, die, destroy/remove). */
function lifecycles(events, keep) {
  const byId = new Map();
  for (const e of events) {
    if (!keep(e)) continue;
    const entry = byId.get(e.id) ?? { id: e.id, name: e.name };
    const action = e.action === 'destroy' ? 'remove' : e.action;
    if (['create', 'start', 'die', 'remove'].includes(action) && entry[action] === undefined) entry[action] = e.t;
    byId.set(e.id, entry);
  }
  return byId;
}

/** Integral of (limit - live containers) over [first create, last create], per run: engine slots left unused. */
function engineIdle(lives, limit) {
  const starts = lives.map((l) => l.create);
  const ends = lives.map((l) => l.remove ?? l.die);
  return slotIdle(starts, ends, limit);
}

// ---------------------------------------------------------------- /proc: our agentctl processes

function readProc(pid, file) {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** Live `run-queue --supervise` processes of this AGENTCTL_HOME. */
function supervisorPids() {
  const pids = [];
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = readProc(entry, 'cmdline');
    if (cmdline === undefined || !cmdline.includes('run-queue\0--supervise')) continue;
    const environ = readProc(entry, 'environ');
    if (environ === undefined || !environ.split('\0').includes(`AGENTCTL_HOME=${agentctlHome}`)) continue;
    const status = readProc(entry, 'status');
    if (status === undefined || /^State:\s+Z/m.test(status)) continue;
    pids.push({ pid: Number(entry), ppid: Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]) });
  }
  // A child the supervisor is forking (git, say) shows the supervisor's command line until it execs.
  const all = new Set(pids.map((p) => p.pid));
  return pids.filter((p) => !all.has(p.ppid)).map((p) => p.pid);
}

const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;
/** utime + stime of a process, in ms. */
function cpuMsOf(pid) {
  const stat = readProc(pid, 'stat');
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
}

/** Busy CPU time of the whole machine so far, in ms (all CPUs summed). */
function machineBusyMs() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user + nice + system + irq + softirq + steal) * 1000) / TICKS;
}

/** CPU time so far of the engine's daemon (podman system service, or dockerd), found by the socket on its command line. */
function engineDaemonCpuMs() {
  const socket = ENGINE.url.startsWith('unix://') ? ENGINE.url.slice('unix://'.length) : ENGINE.url;
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (readProc(entry, 'cmdline') ?? '').split('\0');
    if (!argv.some((a) => a.includes(socket))) continue;
    const daemon = argv.includes('system') && argv.includes('service') ? true : (argv[0] ?? '').endsWith('dockerd');
    if (daemon) total += cpuMsOf(entry) ?? 0;
  }
  return total;
}

function vmHwmKb(pid) {
  const status = readProc(pid, 'status');
  const m = status === undefined ? undefined : /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  return m === undefined || m === null ? undefined : Number(m[1]);
}

/** Samples VmHWM of every background supervisor every `interval` ms until stopped. */
function supervisorSampler(interval = 25) {
  const peaks = new Map(); // pid -> { kb, firstSeen, lastSeen }
  let timer;
  const sample = () => {
    for (const pid of supervisorPids()) {
      const kb = vmHwmKb(pid);
      if (kb === undefined) continue;
      const t = now();
      const entry = peaks.get(pid) ?? { kb: 0, cpuMs: 0, firstSeen: t, lastSeen: t };
      entry.kb = Math.max(entry.kb, kb);
      entry.cpuMs = Math.max(entry.cpuMs, cpuMsOf(pid) ?? 0);
      entry.lastSeen = t;
      peaks.set(pid, entry);
    }
  };
  return {
    start() {
      sample();
      timer = setInterval(sample, interval);
    },
    stop() {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}

// ---------------------------------------------------------------- state on disk

function workspaces() {
  const root = join(agentctlHome, 'workspace');
  const found = [];
  const dirs = (d) => {
    try {
      return readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.includes('.tmp-')).map((e) => join(d, e.name));
    } catch {
      return [];
    }
  };
  for (const org of dirs(root)) for (const repo of dirs(org)) found.push(...dirs(repo));
  return found;
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function statesOnDisk() {
  const counts = {};
  for (const ws of workspaces()) {
    const state = readJson(join(ws, '.meta', 'status.json'))?.state ?? 'missing';
    counts[state] = (counts[state] ?? 0) + 1;
  }
  return counts;
}

function readEvents(path) {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------- preflight

{
  const { url } = ENGINE;
  let why;
  if (url.startsWith('unix://') && !existsSync(url.slice('unix://'.length))) why = `no socket at ${url}`;
  else {
    try {
      const ping = await api(url, 'GET', '/_ping', 2000);
      if (ping.status !== 200) why = `GET /_ping at ${url} answered HTTP ${ping.status}`;
      else if ((await api(url, 'GET', `/v1.41/images/${encodeURIComponent(IMAGE)}/json`)).status !== 200) why = `image ${IMAGE} is not in ${opts.engine} (bash test/support/engines.sh image)`;
    } catch (error) {
      why = `no answer at ${url}: ${error.message}`;
    }
  }
  const [cli] = ENGINE.cli(url);
  if (why === undefined && spawnSync(cli, ['--version'], { stdio: 'ignore' }).status !== 0) why = `the ${cli} CLI is not installed (needed for the raw runs)`;
  if (why !== undefined) {
    log(`${opts.engine}: ${why}; start the engines with: bash test/support/engines.sh all`);
    process.exit(1);
  }
}
const ping = await api(ENGINE.url, 'GET', '/_ping');
const engineServer = ping.headers.server ?? '?';

const agentctl = (args, o = {}) => timedProcess(NODE, [opts.bin, ...args], { measureRss: true, ...o });

// ---------------------------------------------------------------- phase B: raw

/** N raw `run --rm` at parallelism L: total, machine CPU, per-process times and the engine's lifecycle of each. */
async function rawPhase(tag) {
  log(`raw (${tag}): ${opts.runs} × ${ENGINE.cli(ENGINE.url)[0]} run --rm at parallelism ${opts.limit}`);
  const rawEnv = { PATH: BASE_ENV.PATH, HOME: home };
  const busy0 = machineBusyMs();
  const daemon0 = engineDaemonCpuMs();
  const capture = captureEngineEvents();
  await sleep(200); // subscribed before the first create
  const t = now();
  const name = (i) => `agentctl-bench-raw-${process.pid}-${tag}-${i}`;
  const raws = await pool(opts.runs, opts.limit, (i) => {
    const [cli, args] = ENGINE.cli(ENGINE.url, name(i));
    const wallStart = Date.now();
    return timedProcess(cli, args, { env: rawEnv, measureRss: true }).then((r) => ({ ...r, name: name(i), wallStart, wallEnd: wallStart + r.total }));
  });
  const total = now() - t;
  const busy = machineBusyMs() - busy0;
  const daemon = engineDaemonCpuMs() - daemon0;
  const cli = raws.reduce((sum, r) => sum + (r.cpuMs ?? 0), 0);
  const idle = slotIdle(
    raws.map((r) => r.start - t),
    raws.map((r) => r.end - t),
    opts.limit,
  );
  log(`raw (${tag}): ${opts.runs} runs in ${(total / 1000).toFixed(2)} s`);
  let lives;
  try {
    const names = new Set(raws.map((r) => r.name));
    const lc = lifecycles(await capture.stop(), (e) => e.name !== undefined && names.has(e.name));
    lives = [...lc.values()].filter((l) => l.create !== undefined && l.start !== undefined && l.die !== undefined && l.remove !== undefined);
    if (lives.length !== opts.runs) {
      log(`engine events: found ${lives.length} of ${opts.runs} raw containers; no timeline`);
      lives = undefined;
    }
  } catch (error) {
    log(`engine events unavailable: ${error.message}`);
  }
  return { total, busy, daemon, cli, idle, raws, lives };
}

// ---------------------------------------------------------------- phase A: agentctl

const loadStart = loadavg();
log(`${opts.runs} runs at limit ${opts.limit} on ${opts.engine} (${engineServer}); work dir ${work}`);
const [rawCli, rawArgs] = ENGINE.cli(ENGINE.url);
// One untimed raw run: the image and the engine are warm for both phases.
await timedProcess(rawCli, rawArgs, { env: { PATH: BASE_ENV.PATH, HOME: home } });

const freeze = await agentctl(['freeze']);
const dispatchStart = now();
const dispatchOne = async (i) => {
  const r = await agentctl(['dispatch', '--repo', repoUrl, '--issue', String(i + 1), '--agent', 'noop']);
  if (!/^queued /m.test(r.stderr)) throw new Error(`dispatch ${i + 1} did not queue:\n${r.stderr}`);
  return r;
};
// The first alone: it creates the mirror that the others fetch into.
const dispatches = [await dispatchOne(0)];
dispatches.push(...(await pool(opts.runs - 1, opts.dispatchParallel, (i) => dispatchOne(i + 1))));
const dispatchWall = now() - dispatchStart;
log(`dispatched ${opts.runs} (queued) in ${(dispatchWall / 1000).toFixed(1)} s, median ${median(dispatches.map((d) => d.total)).toFixed(0)} ms each`);

// The supervisors the dispatches started see a frozen queue and exit; wait for that.
for (let waited = 0; supervisorPids().length > 0; waited += 50) {
  if (waited > 30_000) throw new Error(`background supervisors still alive after 30 s: ${supervisorPids().join(', ')}`);
  await sleep(50);
}
{
  const counts = statesOnDisk();
  if (counts.queued !== opts.runs) throw new Error(`expected ${opts.runs} queued runs before thaw, found ${JSON.stringify(counts)}`);
}

// The raw runs go right before and (with --raw-rounds 2, the default) right after
// the agentctl phase, and the two are averaged: other work on the machine then
// weighs on both sides alike.
const rawBefore = await rawPhase('before');

const sampler = supervisorSampler();
sampler.start();
const captureA = captureEngineEvents();
await sleep(200); // subscribed before the first create
const wallThawStart = Date.now();
const busyA0 = machineBusyMs();
const daemonA0 = engineDaemonCpuMs();
const t0 = now();
const thaw = await agentctl(['thaw']);
const tThawDone = now();
let follow;
if (opts.drain === 'follow') {
  follow = await agentctl(['run-queue', '--follow']);
}
const tForeground = now();
// Whatever the foreground left (nothing, normally): wait for N "finished" events in
// the global events.jsonl (tailed: cheap, unlike reading every status.json each
// time), then for the status files to say completed.
const globalEvents = join(agentctlHome, 'events.jsonl');
let eventsOffset = 0;
let finishedSeen = 0;
function countFinished() {
  let size;
  try {
    size = statSync(globalEvents).size;
  } catch {
    return finishedSeen;
  }
  if (size <= eventsOffset) return finishedSeen;
  const fd = openSync(globalEvents, 'r');
  try {
    const buf = Buffer.alloc(size - eventsOffset);
    readSync(fd, buf, 0, buf.length, eventsOffset);
    const text = buf.toString('utf8');
    const complete = text.lastIndexOf('\n') + 1;
    eventsOffset += Buffer.byteLength(text.slice(0, complete));
    for (const line of text.slice(0, complete).split('\n')) if (line.includes('"type":"finished"')) finishedSeen += 1;
  } finally {
    closeSync(fd);
  }
  return finishedSeen;
}
let tDone;
for (let lastReport = now(); ; ) {
  if (countFinished() < opts.runs && now() - lastReport < 10_000) {
    await sleep(20);
    continue;
  }
  const counts = statesOnDisk();
  const terminal = (counts.completed ?? 0) + (counts.failed ?? 0) + (counts.blocked ?? 0) + (counts.cancelled ?? 0);
  if (terminal === opts.runs) {
    tDone = now();
    if ((counts.completed ?? 0) !== opts.runs) throw new Error(`not every run completed: ${JSON.stringify(counts)}`);
    break;
  }
  if (now() - t0 > 30 * 60_000) throw new Error(`gave up after 30 min: ${JSON.stringify(counts)}`);
  if (now() - lastReport > 10_000) {
    log(`... ${JSON.stringify(counts)}`);
    lastReport = now();
  }
  await sleep(20);
}
const totalA = tDone - t0;
const busyA = machineBusyMs() - busyA0;
const daemonA = engineDaemonCpuMs() - daemonA0;
// Let the background supervisor see the empty queue and exit, sampling it to the end.
for (let waited = 0; supervisorPids().length > 0 && waited < 10_000; waited += 25) await sleep(25);
const supervisorPeaks = sampler.stop();
log(`agentctl: ${opts.runs} runs in ${(totalA / 1000).toFixed(2)} s (thaw ${(tThawDone - t0).toFixed(0)} ms)`);

// Per-run times from the events.
const wsList = workspaces();
const perRunA = [];
const startAt = []; // ms since thaw (wall clock)
const finishAt = [];
for (const ws of wsList) {
  const events = readEvents(join(ws, '.meta', 'events.jsonl'));
  const started = events.find((e) => e.type === 'started');
  const finished = events.find((e) => e.type === 'finished');
  if (started === undefined || finished === undefined) throw new Error(`no started/finished events in ${ws}`);
  const s = Date.parse(started.at);
  const f = Date.parse(finished.at);
  perRunA.push(f - s);
  startAt.push(s - wallThawStart);
  finishAt.push(f - wallThawStart);
}

/**
 * Slot idle time: integrate (limit - running) over [first claim, last claim],
 * while some run was still waiting. "running" is the scheduler's view: from the
 * claim ("started") to the final status ("finished").
 */
function slotIdle(starts, finishes, limit) {
  const evs = [...starts.map((t) => [t, +1]), ...finishes.map((t) => [t, -1])].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const lastStart = Math.max(...starts);
  let running = 0;
  let prev = Math.min(...starts);
  let idle = 0;
  for (const [t, d] of evs) {
    const until = Math.min(t, lastStart);
    if (until > prev) idle += Math.max(0, limit - running) * (until - prev);
    prev = Math.max(prev, until);
    running += d;
  }
  return idle;
}
const idleA = slotIdle(startAt, finishAt, opts.limit);

// The engine's view of phase A: each container's create / start / die / remove.
const claims = new Map(); // containerId -> { claim, finished } (wall ms)
for (const ws of wsList) {
  const events = readEvents(join(ws, '.meta', 'events.jsonl'));
  const started = events.find((e) => e.type === 'started');
  const finished = events.find((e) => e.type === 'finished');
  claims.set(started.containerId, { claim: Date.parse(started.at), finished: Date.parse(finished.at) });
}
let timelineA;
try {
  const lc = lifecycles(await captureA.stop(), (e) => claims.has(e.id));
  const lives = [...lc.values()].filter((l) => l.create !== undefined && l.start !== undefined && l.die !== undefined && l.remove !== undefined);
  if (lives.length === opts.runs) {
    const part = (f) => summary(lives.map(f));
    timelineA = {
      claimToCreate: part((l) => l.create - claims.get(l.id).claim),
      createToStart: part((l) => l.start - l.create),
      startToDie: part((l) => l.die - l.start),
      dieToRemove: part((l) => l.remove - l.die),
      removeToFinished: part((l) => claims.get(l.id).finished - l.remove),
      createToRemove: part((l) => l.remove - l.create),
      engineIdleMsPerRun: round(engineIdle(lives, opts.limit) / opts.runs),
    };
  } else log(`engine events: found ${lives.length} of ${opts.runs} agentctl containers; no timeline`);
} catch (error) {
  log(`engine events unavailable: ${error.message}`);
}
const rawAfter = opts.rawRounds === 2 ? await rawPhase('after') : undefined;

// ---------------------------------------------------------------- phase B: raw, combined

const rawRounds = [rawBefore, ...(rawAfter === undefined ? [] : [rawAfter])];
const totalB = rawRounds.reduce((sum, r) => sum + r.total, 0) / rawRounds.length;
const busyB = rawRounds.reduce((sum, r) => sum + r.busy, 0) / rawRounds.length;
const daemonB = rawRounds.reduce((sum, r) => sum + r.daemon, 0) / rawRounds.length;
const cliB = rawRounds.reduce((sum, r) => sum + r.cli, 0) / rawRounds.length;
const idleB = rawRounds.reduce((sum, r) => sum + r.idle, 0) / rawRounds.length;
const raws = rawRounds.flatMap((r) => r.raws);
let timelineB;
const rawLives = rawRounds.map((r) => r.lives);
if (rawLives.every((l) => l !== undefined)) {
  const lives = rawLives.flat();
  const byName = new Map(raws.map((r) => [r.name, r]));
  const part = (fn) => summary(lives.map(fn));
  timelineB = {
    spawnToCreate: part((l) => l.create - byName.get(l.name).wallStart),
    createToStart: part((l) => l.start - l.create),
    startToDie: part((l) => l.die - l.start),
    dieToRemove: part((l) => l.remove - l.die),
    removeToExit: part((l) => byName.get(l.name).wallEnd - l.remove),
    createToRemove: part((l) => l.remove - l.create),
    engineIdleMsPerRun: round(rawLives.reduce((sum, l) => sum + engineIdle(l, opts.limit), 0) / rawLives.length / opts.runs),
  };
}

// ---------------------------------------------------------------- report

const kbToMb = (kb) => (kb === undefined ? undefined : kb / 1024);
const supervisors = [...supervisorPeaks.entries()].map(([pid, e]) => ({ pid, peakRssMb: round(kbToMb(e.kb)), cpuMs: round(e.cpuMs, 0), aliveMs: round(e.lastSeen - e.firstSeen, 0) }));
const timedRss = [thaw.maxRssKb, follow?.maxRssKb, ...[...supervisorPeaks.values()].map((e) => e.kb)].filter((x) => x !== undefined);
const peakRssMb = timedRss.length === 0 ? undefined : kbToMb(Math.max(...timedRss));
const dispatchRss = dispatches.map((d) => d.maxRssKb).filter((x) => x !== undefined);
const overheadMs = (totalA - totalB) / opts.runs;
const agentctlCpuMs = (thaw.cpuMs ?? 0) + (follow?.cpuMs ?? 0) + [...supervisorPeaks.values()].reduce((sum, e) => sum + e.cpuMs, 0);

const result = {
  runs: opts.runs,
  limit: opts.limit,
  engine: opts.engine,
  engineServer,
  drain: opts.drain,
  node: process.version,
  cpus: cpus().length,
  loadavg: { start: round(loadStart[0], 2), end: round(loadavg()[0], 2) },
  agentctl: {
    totalMs: round(totalA, 0),
    thawMs: round(tThawDone - t0, 0),
    followMs: follow === undefined ? null : round(follow.total, 0),
    afterForegroundMs: round(tDone - tForeground, 0),
    perRunMs: summary(perRunA),
    slotIdleMsPerRun: round(idleA / opts.runs),
    timeline: timelineA ?? null,
    throughputPerS: round(opts.runs / (totalA / 1000), 2),
    cpuMsPerRun: round(agentctlCpuMs / opts.runs),
    engineDaemonCpuMsPerRun: round(daemonA / opts.runs),
    machineBusyMsPerRun: round(busyA / opts.runs),
    otherCpuMsPerRun: round((busyA - agentctlCpuMs - daemonA) / opts.runs),
  },
  raw: {
    totalMs: round(totalB, 0),
    roundsMs: rawRounds.map((r) => round(r.total, 0)),
    perRunMs: summary(raws.map((r) => r.total)),
    slotIdleMsPerRun: round(idleB / opts.runs),
    timeline: timelineB ?? null,
    throughputPerS: round(opts.runs / (totalB / 1000), 2),
    cliCpuMsPerRun: round(cliB / opts.runs),
    engineDaemonCpuMsPerRun: round(daemonB / opts.runs),
    machineBusyMsPerRun: round(busyB / opts.runs),
    otherCpuMsPerRun: round((busyB - cliB - daemonB) / opts.runs),
  },
  overheadMsPerRun: round(overheadMs),
  medianPerRunDeltaMs: round(median(perRunA) - median(raws.map((r) => r.total))),
  rss: {
    peakMb: round(peakRssMb),
    thawMb: round(kbToMb(thaw.maxRssKb)),
    followMb: follow === undefined ? null : round(kbToMb(follow.maxRssKb)),
    supervisors,
    supervisorCpuMs: round([...supervisorPeaks.values()].reduce((sum, e) => sum + e.cpuMs, 0), 0),
    dispatchMaxMb: dispatchRss.length === 0 ? null : round(kbToMb(Math.max(...dispatchRss))),
    dispatchMedianMb: dispatchRss.length === 0 ? null : round(kbToMb(median(dispatchRss))),
    freezeMb: round(kbToMb(freeze.maxRssKb)),
  },
  dispatch: { wallMs: round(dispatchWall, 0), parallel: opts.dispatchParallel, perDispatchMs: summary(dispatches.map((d) => d.total)) },
  goals: {
    overheadMsPerRun: { goal: GOAL_OVERHEAD_MS, value: round(overheadMs), pass: overheadMs <= GOAL_OVERHEAD_MS },
    peakRssMb: { goal: GOAL_RSS_MB, value: round(peakRssMb), pass: peakRssMb !== undefined && peakRssMb <= GOAL_RSS_MB },
  },
};

function timelineLines() {
  const a = result.agentctl.timeline;
  const b = result.raw.timeline;
  if (a === null && b === null) return [];
  const cell = (x) => (x === undefined || x === null ? '-' : `${x.median} (${x.p90})`.padEnd(16));
  const rows = [
    ['before create (claim | spawn)', a?.claimToCreate, b?.spawnToCreate],
    ['create -> start', a?.createToStart, b?.createToStart],
    ['start -> die', a?.startToDie, b?.startToDie],
    ['die -> remove', a?.dieToRemove, b?.dieToRemove],
    ['remove -> finishedAt | CLI exit (*)', a?.removeToFinished, b?.removeToExit],
    ['container create -> remove', a?.createToRemove, b?.createToRemove],
  ];
  return [
    '  engine timeline per run, ms median (p90)   agentctl          raw',
    ...rows.map(([label, x, y]) => `      ${label.padEnd(36)} ${cell(x)}  ${cell(y)}`),
    `      engine slots idle per run (L - live containers)  ${a?.engineIdleMsPerRun ?? '-'} ms   ${b?.engineIdleMsPerRun ?? '-'} ms`,
    '      (*) agentctl stamps finishedAt before it removes the container, hence about 0 or below',
  ];
}

if (opts.json) {
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} else {
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const verdict = (g) => (g.pass ? 'PASS' : 'MISS');
  const a = result.agentctl;
  const b = result.raw;
  const lines = [
    `scheduler benchmark: ${opts.runs} runs of a no-op agent, pool limit ${opts.limit}, ${opts.engine} (${engineServer}), ${result.cpus} CPUs, node ${process.version}`,
    `  (1-min load average ${result.loadavg.start} at the start, ${result.loadavg.end} at the end: other work on the machine skews both phases)`,
    '',
    `  agentctl (thaw + ${opts.drain === 'follow' ? 'run-queue --follow' : 'background supervisor'}): ${s(totalA)}   (${a.throughputPerS} runs/s; thaw ${a.thawMs} ms)`,
    `  raw ${rawCli} run --rm × ${opts.runs} at ${opts.limit}:     ${s(totalB)}   (${b.throughputPerS} runs/s${b.roundsMs.length > 1 ? `; mean of ${b.roundsMs.map((x) => s(x)).join(' before and ')} after` : ''})`,
    '',
    `  overhead per run (A − B) / N:     ${result.overheadMsPerRun} ms     goal ≤ ${GOAL_OVERHEAD_MS} ms   ${verdict(result.goals.overheadMsPerRun)}`,
    `  per-run wall, median (p90):       agentctl ${a.perRunMs.median} ms (${a.perRunMs.p90})   raw ${b.perRunMs.median} ms (${b.perRunMs.p90})   Δ ${result.medianPerRunDeltaMs} ms`,
    `  CPU per run, ms:   agentctl phase: agentctl ${a.cpuMsPerRun}, engine daemon ${a.engineDaemonCpuMsPerRun}, everything else ${a.otherCpuMsPerRun} (machine ${a.machineBusyMsPerRun})`,
    `                     raw phase:      ${rawCli} CLI ${b.cliCpuMsPerRun}, engine daemon ${b.engineDaemonCpuMsPerRun}, everything else ${b.otherCpuMsPerRun} (machine ${b.machineBusyMsPerRun})`,
    `                     ("everything else": conmon/runc and other work on the machine; unequal values mean unequal outside load)`,
    `  slot idle per run while queued:   agentctl ${a.slotIdleMsPerRun} ms   raw ${b.slotIdleMsPerRun} ms`,
    `  peak RSS (thaw, follow, supervisors): ${result.rss.peakMb} MB   goal ≤ ${GOAL_RSS_MB} MB   ${verdict(result.goals.peakRssMb)}`,
    `      thaw ${result.rss.thawMb} MB, follow ${result.rss.followMb ?? '-'} MB, supervisors ${supervisors.map((x) => `${x.peakRssMb} MB (alive ${x.aliveMs} ms)`).join(', ') || '-'}`,
    `      dispatch: max ${result.rss.dispatchMaxMb} MB, median ${result.rss.dispatchMedianMb} MB`,
    ...timelineLines(),
    `  dispatching (untimed): ${s(dispatchWall)} at ${opts.dispatchParallel} parallel, median ${result.dispatch.perDispatchMs.median} ms each`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
