#!/usr/bin/env node
// Benchmark: `agentctl dispatch --wait` of a no-op agent on Docker Swarm next to a raw
// `docker service create --mode replicated-job --restart-condition none` of the same image
// and command, followed by a wait until its task is complete. Goal (issue 17): within 1.2x.
//
//   node bench/swarm.mjs               7 runs (+1 warm-up) of each, round-robin
//   node bench/swarm.mjs --runs 15
//   node bench/swarm.mjs --json
//
// Needs a build (npm run build) and the test dockerd as a swarm manager
// (bash test/support/engines.sh all && bash test/support/engines.sh swarm);
// AGENTCTL_BENCH_DOCKER_HOST / AGENTCTL_BENCH_IMAGE override unix:///tmp/agentctl-docker.sock
// and localhost/agentctl-test:latest. Setup: a tiny bare repository over file://, a
// temporary HOME / AGENTCTL_HOME, runtime.prefer swarm and a custom agent
// `noop: { command: ['true'] }`; the mirror is made before measuring. The raw job's
// service is removed (untimed) after each wait; agentctl removes its own. Only node
// built-ins and the docker CLI are used.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const BIN = join(ROOT, 'bin', 'agentctl');
const GOAL = 1.2;
const HOST = process.env.AGENTCTL_BENCH_DOCKER_HOST ?? 'unix:///tmp/agentctl-docker.sock';
const IMAGE = process.env.AGENTCTL_BENCH_IMAGE ?? 'localhost/agentctl-test:latest';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const RUNS = runsAt >= 0 ? Number(args[runsAt + 1]) : 7;
const JSON_OUT = args.includes('--json');

function run(cmd, argv, options = {}) {
  const result = spawnSync(cmd, argv, { encoding: 'utf8', ...options });
  if (result.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed: ${result.stderr || result.stdout}`);
  return result.stdout;
}

const docker = (argv) => run('docker', ['-H', HOST, ...argv]);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A raw job: create, then poll its task until complete (as `docker service create` without --detach would, at 100 ms). */
async function rawJob(n) {
  const name = `agentctl-bench-raw-${process.pid}-${n}`;
  const started = performance.now();
  docker(['service', 'create', '--detach', '--quiet', '--name', name, '--mode', 'replicated-job', '--restart-condition', 'none', IMAGE, 'true']);
  for (;;) {
    const state = docker(['service', 'ps', name, '--format', '{{.CurrentState}}']).trim();
    if (state.startsWith('Complete')) break;
    if (/^(Failed|Rejected)/.test(state)) throw new Error(`raw job ${name}: ${state}`);
    await sleep(100);
  }
  const took = performance.now() - started;
  docker(['service', 'rm', name]);
  return took;
}

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'agentctl-bench-swarm-'));
  const work = join(dir, 'work');
  mkdirSync(work);
  run('git', ['init', '-q', '-b', 'main', work]);
  writeFileSync(join(work, 'README.md'), '# bench\n');
  run('git', ['-C', work, 'add', '.']);
  run('git', ['-C', work, '-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-qm', 'init']);
  run('git', ['clone', '-q', '--bare', work, join(dir, 'repo.git')]);
  const config = join(dir, 'config', 'agentctl');
  mkdirSync(config, { recursive: true });
  writeFileSync(join(config, 'config.yaml'), `runtime:\n  prefer: swarm\n  image: ${IMAGE}\n  swarm:\n    host: ${HOST}\nagents:\n  noop:\n    command: ['true']\n`);
  const env = { PATH: process.env.PATH, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), AGENTCTL_HOME: join(dir, 'state'), CI: 'true' };
  return { dir, env, repo: `file://${join(dir, 'repo.git')}` };
}

function dispatch(ctx, n) {
  const started = performance.now();
  const result = spawnSync(process.execPath, [BIN, 'dispatch', '--repo', ctx.repo, '--task', `noop ${n}`, '--agent', 'noop', '--wait', '--json'], { env: ctx.env, encoding: 'utf8' });
  const took = performance.now() - started;
  const state = result.stdout ? JSON.parse(result.stdout).state : undefined;
  if (state !== 'completed') throw new Error(`dispatch ${n} ended ${state}: ${result.stderr}`);
  return took;
}

const ctx = setup();
try {
  // The mirror and the image's first use, untimed.
  spawnSync(process.execPath, [BIN, 'dispatch', '--repo', ctx.repo, '--task', 'warm', '--agent', 'noop', '--dry-run'], { env: ctx.env });
  const raw = [];
  const ours = [];
  for (let round = 0; round <= RUNS; round += 1) {
    const r = await rawJob(round);
    const d = dispatch(ctx, round);
    if (round === 0) continue;
    raw.push(r);
    ours.push(d);
  }
  const result = { runs: RUNS, dispatchMs: Math.round(median(ours)), rawMs: Math.round(median(raw)), ratio: Math.round((median(ours) / median(raw)) * 100) / 100, goal: GOAL };
  if (JSON_OUT) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    process.stdout.write(
      `swarm, ${RUNS} runs each (medians)\n` +
        `  agentctl dispatch --wait (no-op agent)          ${result.dispatchMs} ms\n` +
        `  docker service create --mode replicated-job + wait  ${result.rawMs} ms\n` +
        `  ratio ${result.ratio}x (goal <= ${GOAL}x): ${result.ratio <= GOAL ? 'met' : 'missed'}\n`,
    );
  }
} finally {
  rmSync(ctx.dir, { recursive: true, force: true });
}
