#!/usr/bin/env node
// Benchmark: what `agentctl dispatch --wait` of a no-op agent costs next to a
// raw `podman run --rm` / `docker run --rm` of the same image and command.
// Goal (from the issue): the dispatch's median wall time within 1.1x of the raw run.
//
//   node bench/dispatch-overhead.mjs                   7 runs (+1 warm-up) per engine
//   node bench/dispatch-overhead.mjs --runs 15         more runs
//   node bench/dispatch-overhead.mjs --json            one JSON object on stdout
//   node bench/dispatch-overhead.mjs --engines podman  only these engines (podman,docker)
//   node bench/dispatch-overhead.mjs --bin DIR/bin/agentctl   measure another build (A/B)
//   node bench/dispatch-overhead.mjs --no-breakdown    only the headline measurements
//
// Needs a build (npm run build) and the test engines
// (bash test/support/engines.sh all): Podman's API at unix:///tmp/agentctl-podman.sock,
// dockerd at unix:///tmp/agentctl-docker.sock, both holding localhost/agentctl-test:latest.
// AGENTCTL_BENCH_PODMAN_HOST / AGENTCTL_BENCH_DOCKER_HOST / AGENTCTL_BENCH_IMAGE override
// those. An engine that does not answer, or lacks the image or its CLI, is skipped with a note.
//
// Setup: a tiny bare repository (one README, so QA finds nothing to run) over file://,
// a temporary HOME / XDG_CONFIG_HOME / AGENTCTL_HOME, and a user config with
// runtime.image set and a custom agent `noop: { command: ['true'] }`. The mirror is
// created once before measuring (the dispatches measure a warm mirror), every dispatch
// uses a fresh --issue number, and each engine's dispatch sees only that engine's
// variable (CONTAINER_HOST for podman, DOCKER_HOST for docker).
//
// All measurements of one engine run round-robin (round 0 is a warm-up), so a slow
// drift of the machine affects them alike. The breakdown is measured from outside
// the CLI: node start, `--version`, `dispatch --dry-run` (prep only: config, mirror
// fetch, clone, prompt; no engine), the time until the dispatch prints "started",
// and the engine's own API calls made from here over the socket (the probe agentctl
// makes, the image check, create+start+wait+remove with the bare spec and with
// agentctl's spec, and agentctl's own way: poll until the agent exits and leave the
// removal to the engine). Whatever an engine still removes in the background is gone
// (untimed) before the next measurement starts, so no measurement pays for another's
// cleanup. Only node built-ins are used.

import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH_DIR);
const NODE = process.execPath;
const GOAL = 1.1;

// ---------------------------------------------------------------- options

function parseArgs(argv) {
  const opts = { runs: 7, json: false, keep: false, breakdown: true, engines: ['podman', 'docker'], bin: join(ROOT, 'bin', 'agentctl'), dir: undefined };
  const takes = ['--runs', '--engines', '--bin', '--dir'];
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
    else if (name === '--engines') opts.engines = v.split(',').filter(Boolean);
    else if (name === '--bin') opts.bin = realpathSync(v);
    else if (name === '--dir') opts.dir = v;
    else if (arg === '--json') opts.json = true;
    else if (arg === '--keep') opts.keep = true;
    else if (arg === '--no-breakdown') opts.breakdown = false;
    else if (arg === '-h' || arg === '--help') {
      process.stdout.write('usage: node bench/dispatch-overhead.mjs [--runs N] [--json] [--engines podman,docker] [--bin PATH] [--no-breakdown] [--keep] [--dir DIR]\n');
      process.exit(0);
    } else {
      process.stderr.write(`bench: unknown argument ${arg}\n`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(opts.runs) || opts.runs < 1) {
    process.stderr.write('bench: --runs needs a positive integer\n');
    process.exit(2);
  }
  const unknown = opts.engines.filter((e) => e !== 'podman' && e !== 'docker');
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown engine ${unknown.join(', ')} (podman, docker)\n`);
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
    cli: (url) => ['podman', ['--url', url, 'run', '--rm', IMAGE, 'true']],
  },
  docker: {
    url: process.env.AGENTCTL_BENCH_DOCKER_HOST ?? 'unix:///tmp/agentctl-docker.sock',
    hostVar: 'DOCKER_HOST',
    cli: (url) => ['docker', ['-H', url, 'run', '--rm', IMAGE, 'true']],
  },
};

if (!existsSync(join(dirname(dirname(opts.bin)), 'dist', 'main.js'))) {
  log(`${dirname(dirname(opts.bin))}/dist is missing: build first (npm run build)`);
  process.exit(1);
}

// ---------------------------------------------------------------- environment

if (opts.dir !== undefined) mkdirSync(opts.dir, { recursive: true });
const work = realpathSync(mkdtempSync(join(opts.dir ?? tmpdir(), 'agentctl-overhead-')));
const home = join(work, 'home');
const configHome = join(home, '.config');
const agentctlHome = join(work, 'agentctl');
const scratch = join(work, 'scratch');
for (const dir of [join(configHome, 'agentctl'), agentctlHome, scratch]) mkdirSync(dir, { recursive: true });
process.on('exit', () => {
  if (opts.keep) log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

writeFileSync(
  join(configHome, 'agentctl', 'config.yaml'),
  ['runtime:', `  image: ${IMAGE}`, 'agents:', '  noop:', "    command: ['true']", ''].join('\n'),
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

function run(cmd, args, { env = BASE_ENV, stdout = 'ignore', input } = {}) {
  const res = spawnSync(cmd, args, { cwd: work, env, input, stdio: [input === undefined ? 'ignore' : 'pipe', stdout, 'pipe'], maxBuffer: 16 * 1024 * 1024 });
  if (res.error) throw res.error;
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${res.status ?? res.signal}\n${res.stderr?.toString() ?? ''}`);
  return res;
}
const out = (cmd, args, o = {}) => run(cmd, args, { ...o, stdout: 'pipe' }).stdout.toString().trim();

// A bare repository with one commit of one README, made with plumbing (no clone, no hooks).
const repoDir = join(work, 'forge', 'bench', 'noop.git');
mkdirSync(repoDir, { recursive: true });
const GIT_ID = { GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.com' };
run('git', ['init', '--quiet', '--bare', '--initial-branch=main', repoDir]);
const blob = out('git', ['-C', repoDir, 'hash-object', '-w', '--stdin'], { input: '# noop\n\nA repository for the dispatch-overhead benchmark.\n' });
const tree = out('git', ['-C', repoDir, 'mktree'], { input: `100644 blob ${blob}\tREADME.md\n` });
const commit = out('git', ['-C', repoDir, 'commit-tree', tree, '-m', 'init'], { env: { ...BASE_ENV, ...GIT_ID } });
run('git', ['-C', repoDir, 'update-ref', 'refs/heads/main', commit]);
const repoUrl = pathToFileURL(repoDir).href;

// ---------------------------------------------------------------- timing helpers

const now = () => performance.now();
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Run a process to its end; wall time, and when its first byte (any stream) and
 * the "started" line on stderr arrived.
 */
function timedProcess(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const start = now();
    const child = spawn(cmd, args, { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let firstByte;
    let startedLine;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      firstByte ??= now() - start;
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      firstByte ??= now() - start;
      stderr += chunk;
      if (startedLine === undefined && /^started /m.test(stderr)) startedLine = now() - start;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const total = now() - start;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited with ${code ?? signal}\n${stderr}${stdout}`));
      else resolve({ total, firstByte, startedLine, stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------- engine API (node:http over the socket)

function connection(url) {
  if (url.startsWith('unix://')) return { socketPath: url.slice('unix://'.length) };
  const u = new URL(url.replace(/^tcp:/, 'http:'));
  return { host: u.hostname, port: Number(u.port || 2375) };
}

function api(url, method, path, body, timeout = 60_000) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { ...connection(url), method, path, timeout, headers: data === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, text, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeout} ms`)));
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

async function apiOk(url, method, path, body) {
  const res = await api(url, method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
  return res;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * create + start + wait (the engine's wait, or polling inspect every 10 ms) + remove; each
 * step timed. A spec with AutoRemove is left to the engine to remove, as agentctl does.
 */
async function apiRun(url, spec, { poll = false } = {}) {
  const t0 = now();
  const created = await apiOk(url, 'POST', '/v1.41/containers/create', spec);
  const id = created.json.Id;
  const t1 = now();
  await apiOk(url, 'POST', `/v1.41/containers/${id}/start`);
  const t2 = now();
  let exitCode;
  if (poll) {
    for (;;) {
      const info = await apiOk(url, 'GET', `/v1.41/containers/${id}/json`);
      if (!info.json.State.Running) {
        exitCode = info.json.State.ExitCode;
        break;
      }
      await sleep(10);
    }
  } else {
    exitCode = (await apiOk(url, 'POST', `/v1.41/containers/${id}/wait`)).json.StatusCode;
  }
  const t3 = now();
  if (spec.HostConfig?.AutoRemove !== true) await apiOk(url, 'DELETE', `/v1.41/containers/${id}`);
  const t4 = now();
  if (exitCode !== 0) throw new Error(`container ${id} exited with ${exitCode}`);
  return { total: t4 - t0, create: t1 - t0, start: t2 - t1, wait: t3 - t2, remove: t4 - t3 };
}

// The container agentctl creates for the noop agent (see buildContainerSpec / createOptions), its command from the dry run.
const uid = process.getuid?.() ?? 1000;
const gid = process.getgid?.() ?? 1000;
const agentUser = uid === 0 ? '1000:1000' : `${uid}:${gid}`;
let wsCounter = 0;
function agentctlSpec(engine, { autoRemove = true } = {}) {
  const ws = join(scratch, `ws-${(wsCounter += 1)}`);
  // agentctl's view of a workspace: repo/ and outbox/ read-write, inbox/ read-only, never .meta/.
  for (const part of ['repo', 'outbox', 'inbox']) mkdirSync(join(ws, part), { recursive: true });
  if (uid === 0) for (const dir of [join(ws, 'repo'), join(ws, 'outbox')]) chownSync(dir, 1000, 1000);
  const identity = ['GIT_AUTHOR_NAME=agentctl', 'GIT_AUTHOR_EMAIL=agentctl@localhost', 'GIT_COMMITTER_NAME=agentctl', 'GIT_COMMITTER_EMAIL=agentctl@localhost'];
  return {
    Image: IMAGE,
    Cmd: agentctlCmd,
    WorkingDir: '/workspace/repo',
    User: agentUser,
    Env: ['TERM=dumb', 'NO_COLOR=1', 'CI=true', 'HOME=/home/agent', ...identity, `AGENTCTL_HOST_GATEWAY=${engine === 'docker' ? 'host.docker.internal' : 'host.containers.internal'}`],
    Labels: { 'dev.agentctl.workspace': ws, 'dev.agentctl.agent': 'noop', 'dev.agentctl.bench': '1' },
    OpenStdin: false,
    Tty: false,
    HostConfig: {
      Binds: [`${ws}/repo:/workspace/repo`, `${ws}/outbox:/workspace/outbox`, `${ws}/inbox:/workspace/inbox:ro`],
      AutoRemove: autoRemove,
      // agentctl's hardening (src/core/container/hardening.ts), as the engine API takes it.
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': 'rw,nosuid,nodev,exec,mode=1777', '/var/tmp': 'rw,nosuid,nodev,exec,mode=1777', '/home/agent': engine === 'podman' ? 'rw,nosuid,nodev,exec,U' : 'rw,nosuid,nodev,exec,uid=1000,gid=1000,mode=0700' },
      PidsLimit: 2048,
      Memory: 4 * 1024 ** 3,
      NanoCpus: 2e9,
      ...(engine === 'docker' ? { ExtraHosts: ['host.docker.internal:host-gateway'] } : {}),
    },
  };
}

// ---------------------------------------------------------------- which engines answer

async function checkEngine(name) {
  const engine = ENGINES[name];
  const { url } = engine;
  if (url.startsWith('unix://') && !existsSync(url.slice('unix://'.length))) return `no socket at ${url}`;
  try {
    const ping = await api(url, 'GET', '/_ping', undefined, 2000);
    if (ping.status !== 200) return `GET /_ping at ${url} answered HTTP ${ping.status}`;
    const image = await api(url, 'GET', `/v1.41/images/${encodeURIComponent(IMAGE)}/json`, undefined, 5000);
    if (image.status !== 200) return `image ${IMAGE} is not in ${name} at ${url} (bash test/support/engines.sh image)`;
  } catch (error) {
    return `no answer at ${url}: ${error.message}`;
  }
  const [cli] = engine.cli(url);
  const which = spawnSync(cli, ['--version'], { stdio: 'ignore' });
  if (which.error !== undefined || which.status !== 0) return `the ${cli} CLI is not installed (needed for the raw run)`;
  return undefined;
}

// ---------------------------------------------------------------- measurements

const skipped = [];
const active = [];
for (const name of opts.engines) {
  const why = await checkEngine(name);
  if (why === undefined) active.push(name);
  else {
    skipped.push({ engine: name, reason: why });
    log(`skipping ${name}: ${why}`);
  }
}
if (active.length === 0) {
  log('no engine answers; start them with: bash test/support/engines.sh all');
  if (opts.json) process.stdout.write(`${JSON.stringify({ runs: opts.runs, engines: {}, skipped }, null, 2)}\n`);
  process.exit(1);
}

const engineEnv = (name) => ({ ...BASE_ENV, [ENGINES[name].hostVar]: ENGINES[name].url });
let issue = 0;
const dispatchArgs = (name, n, extra = []) => [opts.bin, 'dispatch', '--repo', repoUrl, '--issue', String(n), '--agent', 'noop', '--runtime', name, ...extra];

function workspaceOf(n) {
  const root = join(agentctlHome, 'workspace');
  for (const org of readdirSync(root)) for (const repo of readdirSync(join(root, org))) if (existsSync(join(root, org, repo, `task-${n}`))) return join(root, org, repo, `task-${n}`);
  return undefined;
}

function checkCompleted(n) {
  const ws = workspaceOf(n);
  const status = ws === undefined ? undefined : JSON.parse(readFileSync(join(ws, '.meta', 'status.json'), 'utf8'));
  if (status?.state !== 'completed') throw new Error(`dispatch of issue ${n} did not complete: ${JSON.stringify(status)}`);
  if (status.qa !== undefined && status.qa.state !== 'skipped') throw new Error(`QA ran for issue ${n} (${status.qa.state}); the no-op repo should skip it`);
}

// The mirror is made once, untimed, so every measured dispatch finds it warm. The
// dry run's plan also gives the container command agentctl runs (its wrapper and the agent).
let agentctlCmd;
{
  const first = await timedProcess(NODE, dispatchArgs(active[0], (issue += 1), ['--dry-run', '--json']), engineEnv(active[0]));
  log(`cold dry run (creates the mirror): ${first.total.toFixed(0)} ms`);
  const { argv } = JSON.parse(first.stdout).run;
  agentctlCmd = argv.slice(argv.lastIndexOf(IMAGE) + 1);
}

const engineInfo = {};
for (const name of active) {
  const ping = await api(ENGINES[name].url, 'GET', '/_ping');
  const version = await api(ENGINES[name].url, 'GET', '/v1.41/version');
  engineInfo[name] = { url: ENGINES[name].url, server: ping.headers.server ?? version.json?.Version ?? '?', apiVersion: ping.headers['api-version'] };
}

/** The measurements of one engine: a key, a label, and a body returning ms (or an object with .total). */
function measurementsFor(name) {
  const { url } = ENGINES[name];
  const env = engineEnv(name);
  const [cli, cliArgs] = ENGINES[name].cli(url);
  const list = [
    {
      key: 'dispatch',
      label: 'agentctl dispatch --wait (noop)',
      body: async () => {
        const n = (issue += 1);
        const r = await timedProcess(NODE, dispatchArgs(name, n, ['--wait']), env);
        checkCompleted(n);
        return { total: r.total, firstByte: r.firstByte, started: r.startedLine, afterStarted: r.startedLine === undefined ? undefined : r.total - r.startedLine };
      },
    },
    { key: 'raw', label: `${cli} run --rm IMAGE true`, body: async () => (await timedProcess(cli, cliArgs, { PATH: BASE_ENV.PATH, HOME: home })).total },
  ];
  if (!opts.breakdown) return list;
  return [
    ...list,
    { key: 'nodeBare', label: 'node -e 0', body: async () => (await timedProcess(NODE, ['-e', '0'], BASE_ENV)).total },
    { key: 'version', label: 'agentctl --version', body: async () => (await timedProcess(NODE, [opts.bin, '--version'], env)).total },
    { key: 'dryRun', label: 'dispatch --dry-run (prep, no engine)', body: async () => (await timedProcess(NODE, dispatchArgs(name, (issue += 1), ['--dry-run']), env)).total },
    {
      key: 'probe',
      label: 'API GET /_ping + GET /version (the probe)',
      body: async () => {
        const t0 = now();
        await apiOk(url, 'GET', '/_ping');
        const t1 = now();
        await apiOk(url, 'GET', '/v1.41/version');
        const t2 = now();
        return { total: t2 - t0, ping: t1 - t0, version: t2 - t1 };
      },
    },
    {
      key: 'imageInspect',
      label: 'API GET /images/IMAGE/json (hasImage)',
      body: async () => {
        const t0 = now();
        await apiOk(url, 'GET', `/v1.41/images/${encodeURIComponent(IMAGE)}/json`);
        return now() - t0;
      },
    },
    { key: 'apiBare', label: 'API create+start+wait+rm, `true` as root', body: () => apiRun(url, { Image: IMAGE, Cmd: ['true'] }) },
    { key: 'apiSpec', label: "API create+start+wait+rm, agentctl's spec", body: () => apiRun(url, agentctlSpec(name, { autoRemove: false })) },
    { key: 'apiSpecPoll', label: 'API as agentctl: poll inspect, engine removes', body: () => apiRun(url, agentctlSpec(name), { poll: true }) },
  ];
}

/** Untimed: wait until the engine has removed every no-op agent container (agentctl's, and ours made like them). */
async function settle(url) {
  const filters = encodeURIComponent(JSON.stringify({ label: ['dev.agentctl.agent=noop'] }));
  const deadline = now() + 30_000;
  while ((await apiOk(url, 'GET', `/v1.41/containers/json?all=true&filters=${filters}`)).json.length > 0) {
    if (now() > deadline) throw new Error('the engine has not removed the no-op agent containers within 30 s');
    await sleep(20);
  }
}

const results = {};
for (const name of active) {
  const measurements = measurementsFor(name);
  const samples = Object.fromEntries(measurements.map((m) => [m.key, []]));
  const parts = Object.fromEntries(measurements.map((m) => [m.key, {}]));
  for (let round = 0; round <= opts.runs; round += 1) {
    for (const m of measurements) {
      const r = await m.body();
      await settle(ENGINES[name].url);
      if (round === 0) continue;
      const value = typeof r === 'number' ? r : r.total;
      samples[m.key].push(value);
      if (typeof r === 'object') for (const [k, v] of Object.entries(r)) if (k !== 'total' && v !== undefined) (parts[m.key][k] ??= []).push(v);
    }
    if (!opts.json) log(`${name}: ${round === 0 ? 'warm-up done' : `run ${round}/${opts.runs}`}`);
  }
  const med = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, median(xs)]));
  const partMed = Object.fromEntries(Object.entries(parts).map(([k, o]) => [k, Object.fromEntries(Object.entries(o).map(([p, xs]) => [p, median(xs)]))]));
  const ratio = med.dispatch / med.raw;
  results[name] = {
    engine: engineInfo[name],
    labels: Object.fromEntries(measurements.map((m) => [m.key, m.label])),
    medianMs: med,
    minMs: Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, Math.min(...xs)])),
    maxMs: Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, Math.max(...xs)])),
    partsMedianMs: partMed,
    samplesMs: samples,
    ratio,
    goal: `<= ${GOAL}x`,
    pass: ratio <= GOAL,
  };
}

// ---------------------------------------------------------------- report

if (opts.json) {
  process.stdout.write(
    `${JSON.stringify({ node: process.version, runs: opts.runs, bin: opts.bin, image: IMAGE, uid, agentUser, workDir: work, engines: results, skipped }, null, 2)}\n`,
  );
  process.exit(0);
}

const f = (x) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(0)).padStart(7);
const lines = [''];
lines.push(`agentctl dispatch overhead: ${opts.runs} runs (+1 warm-up) per engine, medians in ms; node ${process.version}, uid ${uid} (agent runs as ${agentUser})`);
lines.push(`bin: ${opts.bin}; image: ${IMAGE}`);
for (const [name, r] of Object.entries(results)) lines.push(`${name}: ${r.engine.server} at ${r.engine.url} (API ${r.engine.apiVersion ?? '?'})`);
for (const s of skipped) lines.push(`skipped ${s.engine}: ${s.reason}`);
lines.push('');
const head = `${'engine'.padEnd(8)} ${'dispatch --wait'.padStart(15)} ${'raw run --rm'.padStart(13)} ${'ratio'.padStart(7)}   goal      result`;
lines.push(head);
lines.push('-'.repeat(head.length));
for (const [name, r] of Object.entries(results)) {
  lines.push(
    `${name.padEnd(8)} ${f(r.medianMs.dispatch).padStart(15)} ${f(r.medianMs.raw).padStart(13)} ${`${r.ratio.toFixed(2)}x`.padStart(7)}   <= ${GOAL}x   ${r.pass ? 'PASS' : 'MISS'}`,
  );
}
if (opts.breakdown) {
  for (const [name, r] of Object.entries(results)) {
    const m = r.medianMs;
    const p = r.partsMedianMs;
    const row = (key, note = '') => lines.push(`  ${r.labels[key].padEnd(46)} ${f(m[key])}   (${r.minMs[key].toFixed(0)}..${r.maxMs[key].toFixed(0)})${note}`);
    const steps = (o) => Object.entries(o).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
    lines.push('');
    lines.push(`${name}: breakdown (median, min..max)`);
    row('dispatch');
    lines.push(`  ${'  first byte of the process ("started ...")'.padEnd(46)} ${f(p.dispatch.firstByte)}`);
    lines.push(`  ${'  "started" -> exit (engine wait, finish)'.padEnd(46)} ${f(p.dispatch.afterStarted)}`);
    row('raw');
    row('nodeBare');
    row('version');
    row('dryRun');
    row('probe', `   ping ${p.probe.ping.toFixed(1)}, version ${p.probe.version.toFixed(1)}`);
    row('imageInspect');
    row('apiBare', `   ${steps(p.apiBare)}`);
    row('apiSpec', `   ${steps(p.apiSpec)}`);
    row('apiSpecPoll', `   ${steps(p.apiSpecPoll)}`);
    const floor = m.dryRun + m.imageInspect + m.apiSpecPoll;
    lines.push(`  ${'floor: dry run + image check + API as agentctl'.padEnd(46)} ${f(floor)}`);
    lines.push(`  ${'dispatch - floor (probe, lock, status, ...)'.padEnd(46)} ${f(m.dispatch - floor)}`);
    lines.push(`  ${"engine cost of agentctl's spec vs bare".padEnd(46)} ${f(m.apiSpec - m.apiBare)}`);
    lines.push(`  ${'dispatch - raw'.padEnd(46)} ${f(m.dispatch - m.raw)}`);
  }
}
lines.push('');
process.stdout.write(`${lines.join('\n')}\n`);
