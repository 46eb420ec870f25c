#!/usr/bin/env node
// Benchmark for `agentctl dispatch --dry-run` workspace preparation.
//
//   npm run bench                 build, then run with the defaults (9 runs + 1 warm-up)
//   node bench/run.mjs --runs 15  more runs
//   node bench/run.mjs --json     print the numbers as one JSON object on stdout
//   node bench/run.mjs --regen    regenerate the cached test repository
//   node bench/run.mjs --dir /dev/shm   put the work dir (AGENTCTL_HOME, clones) there instead of $TMPDIR
//
// The test repository (~5,000 files, 500 commits) is generated once with
// `git fast-import` and cached in bench/.cache/ (ignored by bench/.gitignore).
// Everything else lives in a temporary directory that is removed at the end.
//
// Clones made while measuring are only deleted after the last sample: on ext4
// without a journal (as in some VMs) the inode allocator skips inodes deleted
// in the last seconds to minutes, so deleting 5,000 files right before the next
// sample makes that sample's checkout several times slower (and noisy).
// That needs ~90 MB of disk per run; the workspaces use fresh issue numbers.
// Only node built-ins are used.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH_DIR);
const BIN = join(ROOT, 'bin', 'agentctl');
const NODE = process.execPath;

// ---------------------------------------------------------------- options

function parseArgs(argv) {
  const opts = { runs: 9, json: false, regen: false, keep: false, dir: undefined };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--runs') opts.runs = Number(argv[++i]);
    else if (arg.startsWith('--runs=')) opts.runs = Number(arg.slice('--runs='.length));
    else if (arg === '--json') opts.json = true;
    else if (arg === '--regen') opts.regen = true;
    else if (arg === '--keep') opts.keep = true;
    else if (arg === '--dir') opts.dir = argv[++i];
    else if (arg.startsWith('--dir=')) opts.dir = arg.slice('--dir='.length);
    else if (arg === '-h' || arg === '--help') {
      process.stdout.write('usage: node bench/run.mjs [--runs N] [--json] [--regen] [--keep] [--dir DIR]\n');
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
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

// ---------------------------------------------------------------- environment

if (opts.dir !== undefined) mkdirSync(opts.dir, { recursive: true });
const work = realpathSync(mkdtempSync(join(opts.dir ?? tmpdir(), 'agentctl-bench-')));
const home = join(work, 'home'); // HOME / XDG_CONFIG_HOME: no user config of this machine leaks in
const agentctlHome = join(work, 'agentctl');
const scratch = join(work, 'scratch');
for (const dir of [home, agentctlHome, scratch]) mkdirSync(dir, { recursive: true });
// Remove the work dir however the run ends (an error included), unless --keep.
process.on('exit', () => {
  if (opts.keep) log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
});

const FS_TYPES = { 0xef53: 'ext2/3/4', 0x01021994: 'tmpfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x794c7630: 'overlayfs', 0x2fc12fc1: 'zfs' };
const workFs = FS_TYPES[statfsSync(work).type] ?? `fs type 0x${statfsSync(work).type.toString(16)}`;

const ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: home,
  XDG_CONFIG_HOME: join(home, '.config'),
  AGENTCTL_HOME: agentctlHome,
  LANG: 'C',
  LC_ALL: 'C',
  TMPDIR: process.env.TMPDIR ?? tmpdir(),
  // The same variables agentctl sets for its own git processes, so the
  // comparisons run git under the same conditions.
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
  GIT_ALLOW_PROTOCOL: 'file:git:http:https:ssh',
  NO_COLOR: '1',
  // A dry run probes the engines as a real run does: pass the ones given, to measure with an engine answering.
  ...Object.fromEntries(['DOCKER_HOST', 'CONTAINER_HOST'].filter((name) => process.env[name] !== undefined).map((name) => [name, process.env[name]])),
};

function run(cmd, args, { cwd = work, stdout = 'ignore', env = ENV } = {}) {
  const res = spawnSync(cmd, args, { cwd, env, stdio: ['ignore', stdout, 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  if (res.error) throw res.error;
  if (res.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited with ${res.status ?? res.signal}\n${res.stderr?.toString() ?? ''}`);
  }
  return res;
}

function git(args, options) {
  return run('git', args, options);
}

function gitOut(args, options = {}) {
  return git(args, { ...options, stdout: 'pipe' }).stdout.toString().trim();
}

// ---------------------------------------------------------------- test repository

const REPO_PARAMS = { version: 2, files: 5000, commits: 500, seed: 42 };
const CACHE = join(BENCH_DIR, '.cache');
const FORGE = join(CACHE, 'forge');
const REPO = join(FORGE, 'org', 'repo.git');
const STAMP = join(REPO, 'agentctl-bench.json');

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'const let return function async await import export from if else for while switch case break continue ' +
  'value result error config workspace mirror branch commit tree blob index cache token options request ' +
  'response handler buffer stream parse render template prompt agent runtime container image volume path'
).split(' ');

function fileContent(rand, path, revision) {
  const target = 200 + Math.floor(rand() * rand() * 3800); // a few hundred bytes to ~4 KB, skewed small
  const lines = [`// ${path} (revision ${revision})`];
  let size = lines[0].length + 1;
  while (size < target) {
    const indent = '  '.repeat(Math.floor(rand() * 4));
    const n = 3 + Math.floor(rand() * 9);
    const words = [];
    for (let i = 0; i < n; i += 1) words.push(WORDS[Math.floor(rand() * WORDS.length)]);
    const line = `${indent}${words.join(' ')}${rand() < 0.3 ? ` ${Math.floor(rand() * 1e6)}` : ''};`;
    lines.push(line);
    size += line.length + 1;
  }
  return `${lines.join('\n')}\n`;
}

function filePath(i) {
  // 5,000 paths in nested dirs: 10 packages x 5 modules x 4 parts, ~25 files each, plus some variety in depth.
  const pkg = `packages/pkg-${i % 10}`;
  const mod = `src/module-${Math.floor(i / 10) % 5}`;
  const part = `part-${Math.floor(i / 50) % 4}`;
  const ext = ['ts', 'ts', 'js', 'md', 'json'][i % 5];
  return i % 7 === 0 ? `${pkg}/${mod}/file-${i}.${ext}` : `${pkg}/${mod}/${part}/file-${i}.${ext}`;
}

function generateRepo() {
  const { files, commits, seed } = REPO_PARAMS;
  const rand = mulberry32(seed);
  const tmp = `${REPO}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(dirname(tmp), { recursive: true });
  git(['init', '--quiet', '--bare', '--initial-branch=main', tmp]);

  const chunks = [];
  let bytes = 0;
  const push = (s) => {
    chunks.push(s);
    bytes += Buffer.byteLength(s);
  };
  const revisions = new Array(files).fill(0);
  const perCommitNew = files / commits; // 10 new files per commit
  let created = 0;
  let time = 1_700_000_000;
  for (let c = 1; c <= commits; c += 1) {
    const ops = [];
    if (c === 1) {
      ops.push(['README.md', '# org/repo\n\nA generated repository for the agentctl benchmark.\n']);
      ops.push(['AGENTS.md', '# Agent notes\n\nRun the tests before you finish.\n']);
    }
    for (let k = 0; k < perCommitNew && created < files; k += 1, created += 1) {
      ops.push([filePath(created), fileContent(rand, filePath(created), 0)]);
    }
    // modify about 10 existing files
    for (let k = 0; k < 10 && created > 0; k += 1) {
      const i = Math.floor(rand() * created);
      revisions[i] += 1;
      ops.push([filePath(i), fileContent(rand, filePath(i), revisions[i])]);
    }
    time += 3600;
    const msg = `Commit ${c}: change ${ops.length} files\n`;
    push(`commit refs/heads/main\nmark :${c}\ncommitter Bench <bench@example.com> ${time} +0000\n`);
    push(`data ${Buffer.byteLength(msg)}\n${msg}`);
    if (c > 1) push(`from :${c - 1}\n`);
    for (const [path, text] of ops) push(`M 100644 inline ${path}\ndata ${Buffer.byteLength(text)}\n${text}\n`);
    push('\n');
  }
  push('done\n');
  log(`fast-import: ${commits} commits, ${files} files, ${(bytes / 1e6).toFixed(1)} MB of stream`);
  const res = spawnSync('git', ['-C', tmp, 'fast-import', '--quiet', '--done'], { input: chunks.join(''), env: ENV, stdio: ['pipe', 'ignore', 'pipe'], maxBuffer: 1 << 28 });
  if (res.status !== 0) throw new Error(`git fast-import failed: ${res.stderr}`);
  // Pack it like a forge would (one pack, deltas), so clone/fetch costs are realistic.
  git(['-C', tmp, 'repack', '-a', '-d', '-f', '-q', '--window=10']);
  git(['-C', tmp, 'update-server-info']);
  writeFileSync(join(tmp, 'agentctl-bench.json'), `${JSON.stringify(REPO_PARAMS)}\n`);
  rmSync(REPO, { recursive: true, force: true });
  renameSync(tmp, REPO);
}

function ensureRepo() {
  let current;
  try {
    current = readFileSync(STAMP, 'utf8').trim();
  } catch {
    current = undefined;
  }
  if (!opts.regen && current === JSON.stringify(REPO_PARAMS)) return false;
  mkdirSync(CACHE, { recursive: true });
  const started = process.hrtime.bigint();
  generateRepo();
  log(`generated ${REPO} in ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(0)} ms`);
  return true;
}

// ---------------------------------------------------------------- timing helpers

const ms = (ns) => Number(ns) / 1e6;

/** Wall-clock time of `fn` (a sequence of spawnSync calls), in ms. */
function timed(fn) {
  const start = process.hrtime.bigint();
  fn();
  return ms(process.hrtime.bigint() - start);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

let counter = 0;
const freshDir = (label) => join(scratch, `${label}-${(counter += 1)}`);

// ---------------------------------------------------------------- main

if (!existsSync(join(ROOT, 'dist', 'main.js'))) {
  log('dist/ is missing: run "npm run bench" (it builds first) or "npm run build"');
  process.exit(1);
}

ensureRepo();
const repoUrl = pathToFileURL(REPO).href;
const repoStats = {
  files: Number(gitOut(['-C', REPO, 'ls-tree', '-r', '--name-only', 'main']).split('\n').length),
  commits: Number(gitOut(['-C', REPO, 'rev-list', '--count', 'main'])),
  packKiB: Number(
    gitOut(['-C', REPO, 'count-objects', '-v'])
      .split('\n')
      .find((l) => l.startsWith('size-pack:'))
      ?.split(':')[1] ?? 0,
  ),
};
log(`repo ${repoUrl}: ${repoStats.files} files, ${repoStats.commits} commits, pack ${(repoStats.packKiB / 1024).toFixed(1)} MiB`);
log(`node ${process.version} (${NODE}), ${gitOut(['--version'])}, work dir ${work} (${workFs})`);

let issue = 1000;
function dispatchArgs(n) {
  return [BIN, 'dispatch', '--dry-run', '--repo', repoUrl, '--issue', String(n), '--task', 'x'];
}

// First dispatch creates the mirror (cold: clone --mirror), untimed; it also tells us where the mirror is.
const coldMs = timed(() => run(NODE, dispatchArgs((issue += 1))));
log(`cold dispatch (creates the mirror): ${coldMs.toFixed(0)} ms`);
const mirrorsRoot = join(agentctlHome, 'cache', 'mirrors');
const mirror = readdirSync(mirrorsRoot).flatMap((org) => readdirSync(join(mirrorsRoot, org)).filter((n) => n.endsWith('.git')).map((n) => join(mirrorsRoot, org, n)))[0];
if (mirror === undefined) throw new Error(`no mirror found under ${mirrorsRoot}`);
const headCommit = gitOut(['-C', mirror, 'rev-parse', 'refs/heads/main']);


/** Each measurement: a label and a timed body. Whatever a body creates is removed after the last sample. */
const measurements = [
  {
    key: 'dispatch',
    label: 'warm dispatch --dry-run',
    body: () => run(NODE, dispatchArgs((issue += 1))),
  },
  {
    key: 'plainClone',
    label: 'git clone file://',
    body: () => git(['clone', '--quiet', repoUrl, freshDir('plain')]),
  },
  {
    key: 'floor',
    // --no-hardlinks: a workspace may share no writable file with the mirror, so its objects are copies.
    label: 'clone --local --no-hardlinks + node -e 0',
    body: () => {
      git(['clone', '--quiet', '--local', '--no-hardlinks', mirror, freshDir('floor')]);
      run(NODE, ['-e', '0']);
    },
  },
  { key: 'version', label: 'agentctl --version', body: () => run(NODE, [BIN, '--version']) },
  { key: 'nodeBare', label: 'node -e 0', body: () => run(NODE, ['-e', '0']) },
  // ---- breakdown
  { key: 'fetch', label: 'git fetch (mirror up to date)', body: () => git(['-C', mirror, 'fetch', '--prune', '--quiet', 'origin']) },
  {
    key: 'cloneNoCheckoutPlusCheckout',
    label: 'clone --local --no-hardlinks --no-checkout + checkout -B',
    body: () => {
      const dir = freshDir('nc');
      git(['clone', '--local', '--no-hardlinks', '--no-checkout', '--quiet', '--', mirror, dir]);
      git(['-C', dir, 'checkout', '--quiet', '-B', 'agent/issue-1', headCommit]);
    },
  },
  {
    key: 'gitSequence',
    label: "the CLI's 4 git commands, one after another",
    body: () => {
      const dir = freshDir('seq');
      const insteadOf = { ...ENV, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: `url.${mirror}.insteadOf`, GIT_CONFIG_VALUE_0: repoUrl };
      gitOut(['-C', mirror, 'rev-parse', 'HEAD^{commit}', '--symbolic-full-name', 'HEAD']);
      git(['clone', '--local', '--no-hardlinks', '--no-checkout', '--', repoUrl, dir], { env: insteadOf });
      git(['-C', dir, 'checkout', '-B', 'agent/issue-1', headCommit]);
      git(['-C', mirror, 'fetch', '--verbose', '--prune', '--no-auto-maintenance', 'origin']);
    },
  },
  { key: 'gitTrivial', label: 'one trivial git process (rev-parse)', body: () => gitOut(['-C', mirror, 'rev-parse', 'HEAD']) },
];

const samples = Object.fromEntries(measurements.map((m) => [m.key, []]));

// Round-robin, so slow drift of the machine affects every measurement alike. Round 0 is the warm-up.
for (let round = 0; round <= opts.runs; round += 1) {
  for (const m of measurements) {
    const t = timed(m.body);
    if (round > 0) samples[m.key].push(t);
  }
  if (!opts.json) process.stderr.write(round === 0 ? 'bench: warm-up done\n' : `bench: run ${round}/${opts.runs}\n`);
}

// Sanity check: the last timed dispatch really made its workspace.
const lastWorkspace = join(agentctlHome, 'workspace', 'org', 'repo', `task-${issue}`);
if (!existsSync(join(lastWorkspace, 'repo', '.git')) || !existsSync(join(lastWorkspace, 'inbox', 'prompt.md'))) {
  throw new Error(`dispatch did not create ${lastWorkspace} as expected`);
}

const med = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, median(xs)]));
const min = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, Math.min(...xs)]));
const max = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, Math.max(...xs)]));

const goals = [
  {
    key: 'dispatchVsPlainClone',
    what: 'warm prep vs plain clone',
    measured: 'dispatch',
    against: 'plainClone',
    // speed-up factor: plain clone time / dispatch time
    ratio: med.plainClone / med.dispatch,
    ratioText: (r) => `${r.toFixed(2)}x faster`,
    goalText: '>= 2.5x faster',
    pass: (r) => r >= 2.5,
  },
  {
    key: 'dispatchVsFloor',
    what: 'warm prep vs floor',
    measured: 'dispatch',
    against: 'floor',
    ratio: med.dispatch / med.floor,
    ratioText: (r) => `${r.toFixed(2)}x`,
    goalText: '<= 1.3x',
    pass: (r) => r <= 1.3,
  },
  {
    key: 'versionVsNode',
    what: '--version vs node -e 0',
    measured: 'version',
    against: 'nodeBare',
    ratio: med.version / med.nodeBare,
    ratioText: (r) => `${r.toFixed(2)}x`,
    goalText: '<= 1.5x',
    pass: (r) => r <= 1.5,
  },
];

const label = Object.fromEntries(measurements.map((m) => [m.key, m.label]));

if (opts.json) {
  process.stdout.write(
    `${JSON.stringify(
      {
        node: process.version,
        git: gitOut(['--version']),
        runs: opts.runs,
        workDir: work,
        workFs,
        repo: { url: repoUrl, ...repoStats },
        coldDispatchMs: coldMs,
        medianMs: med,
        minMs: min,
        maxMs: max,
        samplesMs: samples,
        goals: goals.map((g) => ({ key: g.key, measured: g.measured, against: g.against, ratio: g.ratio, goal: g.goalText, pass: g.pass(g.ratio) })),
        breakdown: {
          nodeBare: med.nodeBare,
          fetchUpToDate: med.fetch,
          cloneNoCheckoutPlusCheckout: med.cloneNoCheckoutPlusCheckout,
          gitSequence: med.gitSequence,
          gitTrivial: med.gitTrivial,
          dispatchMinusGitSequence: med.dispatch - med.gitSequence,
          dispatchMinusFloor: med.dispatch - med.floor,
        },
      },
      null,
      2,
    )}\n`,
  );
} else {
  const f = (x) => x.toFixed(1).padStart(8);
  const out = [];
  out.push('');
  out.push(`agentctl bench: ${opts.runs} runs (+1 warm-up), medians; node ${process.version}, ${gitOut(['--version'])}`);
  out.push(`work dir: ${work} (${workFs})`);
  out.push(`repo: ${repoStats.files} files, ${repoStats.commits} commits, pack ${(repoStats.packKiB / 1024).toFixed(1)} MiB (cold dispatch that cloned the mirror: ${coldMs.toFixed(0)} ms)`);
  out.push('');
  const head = `${'measurement'.padEnd(26)} ${'ms'.padStart(8)}   ${'compared with'.padEnd(26)} ${'ms'.padStart(8)}   ${'ratio'.padEnd(13)} ${'goal'.padEnd(15)} result`;
  out.push(head);
  out.push('-'.repeat(head.length));
  for (const g of goals) {
    out.push(
      `${label[g.measured].padEnd(26)} ${f(med[g.measured])}   ${label[g.against].padEnd(26)} ${f(med[g.against])}   ${g.ratioText(g.ratio).padEnd(13)} ${g.goalText.padEnd(15)} ${g.pass(g.ratio) ? 'PASS' : 'MISS'}`,
    );
  }
  out.push('');
  out.push('breakdown (medians, min..max):');
  const row = (key, note = '') => out.push(`  ${label[key].padEnd(42)} ${f(med[key])} ms   (${min[key].toFixed(1)}..${max[key].toFixed(1)})${note}`);
  for (const key of ['nodeBare', 'version', 'fetch', 'cloneNoCheckoutPlusCheckout', 'gitSequence', 'gitTrivial', 'floor', 'dispatch', 'plainClone']) row(key);
  out.push('');
  out.push(`  dispatch - floor                           ${f(med.dispatch - med.floor)} ms`);
  out.push(`  dispatch - (git sequence + node -e 0)      ${f(med.dispatch - med.gitSequence - med.nodeBare)} ms   (module loading, config, zod, lock, prompt; git run side by side)`);
  out.push(`  --version - node -e 0                      ${f(med.version - med.nodeBare)} ms`);
  out.push('');
  process.stdout.write(`${out.join('\n')}\n`);
}

