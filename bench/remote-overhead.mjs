#!/usr/bin/env node
// Benchmark: `agentctl dispatch --wait` of a no-op agent on a remote Docker engine over SSH,
// next to a raw `docker -H ssh://… run --rm` of the same image and command.
// Goal (issue 17): the dispatch's median wall time within 1.3x of the raw run.
//
//   node bench/remote-overhead.mjs                 7 rounds (+1 warm-up)
//   node bench/remote-overhead.mjs --runs 11       more rounds
//   node bench/remote-overhead.mjs --json          one JSON object on stdout
//
// Needs a build (npm run build), the Docker test engine (bash test/support/engines.sh all:
// dockerd at unix:///tmp/agentctl-docker.sock holding localhost/agentctl-test:latest) and
// Debian's openssh-server (bash test/support/sshd.sh install). A real sshd is started on
// 127.0.0.1 in front of that engine (test/support/sshd.sh: keys, known_hosts and config of
// its own, in a temporary directory; the real ~/.ssh is never touched) and stopped at the end.
// The docker CLI reaches it through `ssh`, which reads its settings from the passwd home,
// so a wrapper `ssh` first on its PATH adds `-F <our ssh_config>`.
//
// A and B alternate in every round (round 0 is a warm-up, not counted), so a drift of the
// shared machine affects both alike. Each dispatch is a fresh --issue of a one-file repository
// (warm mirror, QA finds nothing to run). Only node built-ins are used.

import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const GOAL = 1.3;
const IMAGE = process.env.AGENTCTL_BENCH_IMAGE ?? 'localhost/agentctl-test:latest';
const DOCKER_SOCK = (process.env.AGENTCTL_BENCH_DOCKER_HOST ?? 'unix:///tmp/agentctl-docker.sock').replace(/^unix:\/\//, '');

const args = process.argv.slice(2);
const runs = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 7;
const json = args.includes('--json');
const bin = join(ROOT, 'bin', 'agentctl');
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

if (!existsSync(join(ROOT, 'dist', 'main.js'))) {
  log('dist is missing: build first (npm run build)');
  process.exit(1);
}
if (!existsSync('/usr/sbin/sshd')) {
  log('no /usr/sbin/sshd: run `bash test/support/sshd.sh install`');
  process.exit(1);
}

const work = realpathSync(mkdtempSync(join(tmpdir(), 'agentctl-remote-bench-')));
const sshDir = join(work, 'sshd');
const home = join(work, 'home');
const configHome = join(home, '.config');
const state = join(work, 'agentctl');
for (const dir of [join(configHome, 'agentctl'), state, join(work, 'bin')]) mkdirSync(dir, { recursive: true });

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const port = await freePort();
execFileSync('bash', [join(ROOT, 'test/support/sshd.sh'), 'start', sshDir, String(port)], { env: { ...process.env, AGENTCTL_SSH_DOCKER_SOCK: DOCKER_SOCK }, stdio: 'ignore' });
process.on('exit', () => {
  execFileSync('bash', [join(ROOT, 'test/support/sshd.sh'), 'stop', sshDir]);
  rmSync(work, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));
const url = `ssh://root@127.0.0.1:${port}`;

// The docker CLI's ssh, with our key and known_hosts.
writeFileSync(
  join(work, 'ssh_config'),
  `Host 127.0.0.1\n  IdentityFile ${sshDir}/id\n  UserKnownHostsFile ${sshDir}/known_hosts\n  StrictHostKeyChecking yes\n  BatchMode yes\n`,
);
writeFileSync(join(work, 'bin', 'ssh'), `#!/bin/sh\nexec /usr/bin/ssh -F ${work}/ssh_config "$@"\n`);
chmodSync(join(work, 'bin', 'ssh'), 0o755);

writeFileSync(
  join(configHome, 'agentctl', 'config.yaml'),
  ['runtime:', `  image: ${IMAGE}`, '  ssh:', `    identity: ${sshDir}/id`, `    known_hosts: ${sshDir}/known_hosts`, 'agents:', '  noop:', "    command: ['true']", ''].join('\n'),
);

const repoDir = join(work, 'forge', 'noop.git');
mkdirSync(repoDir, { recursive: true });
const git = (...a) => execFileSync('git', a, { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'B', GIT_AUTHOR_EMAIL: 'b@example.com', GIT_COMMITTER_NAME: 'B', GIT_COMMITTER_EMAIL: 'b@example.com' } }).trim();
git('init', '--quiet', '--bare', '--initial-branch=main', repoDir);
const blob = execFileSync('git', ['-C', repoDir, 'hash-object', '-w', '--stdin'], { input: '# noop\n', encoding: 'utf8' }).trim();
const tree = execFileSync('git', ['-C', repoDir, 'mktree'], { input: `100644 blob ${blob}\tREADME.md\n`, encoding: 'utf8' }).trim();
git('-C', repoDir, 'update-ref', 'refs/heads/main', git('-C', repoDir, 'commit-tree', tree, '-m', 'init'));
const repoUrl = pathToFileURL(repoDir).href;

const PATH = `${join(work, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`;
const agentctlEnv = { PATH, HOME: home, XDG_CONFIG_HOME: configHome, AGENTCTL_HOME: state, DOCKER_HOST: url, NO_COLOR: '1', LANG: 'C' };
const dockerEnv = { PATH, HOME: home, DOCKER_HOST: url, LANG: 'C' };

function timed(cmd, argv, env) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - start) : reject(new Error(`${cmd} ${argv.join(' ')} exited ${code}\n${output}`))));
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

// The mirror is made once, untimed: the dispatches measure a warm one.
await timed(process.execPath, [bin, 'dispatch', '--repo', repoUrl, '--issue', '9999', '--agent', 'noop', '--runtime', 'docker', '--dry-run'], agentctlEnv);

const a = [];
const b = [];
for (let round = 0; round <= runs; round += 1) {
  const order = round % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
  for (const which of order) {
    const ms =
      which === 'a'
        ? await timed(process.execPath, [bin, 'dispatch', '--repo', repoUrl, '--issue', String(round + 1), '--agent', 'noop', '--runtime', 'docker', '--wait', '--json'], agentctlEnv)
        : await timed('docker', ['run', '--rm', IMAGE, 'true'], dockerEnv);
    if (round > 0) (which === 'a' ? a : b).push(ms);
  }
  if (round > 0) log(`round ${round}: dispatch ${a.at(-1).toFixed(0)} ms, docker run ${b.at(-1).toFixed(0)} ms`);
}

const result = { engine: 'docker over SSH', runs, dispatchMs: median(a), rawMs: median(b), ratio: median(a) / median(b), goal: GOAL };
if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  process.stdout.write(`dispatch --wait (no-op agent, docker over ssh://): median ${result.dispatchMs.toFixed(0)} ms over ${runs} runs\n`);
  process.stdout.write(`docker -H ssh://… run --rm (same image):         median ${result.rawMs.toFixed(0)} ms\n`);
  process.stdout.write(`ratio ${result.ratio.toFixed(2)}x (goal <= ${GOAL}x): ${result.ratio <= GOAL ? 'met' : 'NOT met'}\n`);
}
