import { describe, expect, it } from 'vitest';
import type { RuntimeName } from '../../../src/core/container/container-spec.js';
import { compareVersions, doctorChecks, doctorOk, type Check, type CheckStatus, type DoctorFacts } from '../../../src/core/doctor/checks.js';
import type { ProbeResult } from '../../../src/core/runtime-selection.js';

const up = (runtime: RuntimeName, detail = `${runtime} Engine 1.0`): ProbeResult => ({ runtime, ok: true, detail, endpoint: `unix:///run/${runtime}.sock` });
const down = (runtime: RuntimeName): ProbeResult => ({ runtime, ok: false, detail: 'connect ENOENT', endpoint: `unix:///run/${runtime}.sock` });

/** A machine where everything is fine: docker up, image present, keys set, git, writable home, Node 24. */
function healthy(): DoctorFacts {
  return {
    platform: 'linux',
    runtime: { prefer: 'auto', probes: [up('docker'), down('podman')] },
    image: { name: 'localhost/agentctl-agent:latest', source: 'the default agent image', runtime: 'docker', present: true },
    gpu: { requested: false, nvidiaSmi: false, devices: [], toolkit: false },
    setVars: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY', 'CODERABBIT_API_KEY', 'GITHUB_TOKEN'],
    configDirs: [],
    hostAgents: [],
    defaultAgent: 'codex',
    forges: [{ key: 'github', kind: 'github', url: 'https://github.com', tokenEnv: 'GITHUB_TOKEN' }],
    git: { version: 'git version 2.39.5', name: 'agentctl', email: 'agentctl@localhost' },
    home: { path: '/home/u/.agentctl', writable: true },
    node: { version: '24.21.0' },
    agentClis: [
      {
        agent: 'codex',
        isDefault: true,
        cli: 'codex',
        where: { kind: 'image', image: 'localhost/agentctl-agent:latest', runtime: 'docker', present: true },
        probe: { found: true, version: 'codex-cli 0.169.0' },
      },
    ],
  };
}

const codexCli = (f: DoctorFacts) => f.agentClis[0] as DoctorFacts['agentClis'][number];
const claudeOnHost = (f: DoctorFacts, asRoot: boolean, probe: DoctorFacts['agentClis'][number]['probe']) => {
  f.agentClis.push({ agent: 'claude', isDefault: false, cli: 'claude', where: { kind: 'host', asRoot }, probe });
};

type Change = (facts: DoctorFacts) => void;

const byId = (checks: Check[], id: string): Check => {
  const found = checks.find((c) => c.id === id);
  if (found === undefined) throw new Error(`no check ${id} in ${checks.map((c) => c.id).join(', ')}`);
  return found;
};

describe('doctorChecks', () => {
  it('a healthy machine: every check ok, in a fixed order', () => {
    const checks = doctorChecks(healthy());
    expect(checks.map((c) => [c.id, c.status])).toEqual([
      ['runtime.docker', 'ok'],
      ['runtime.podman', 'warn'],
      ['runtime', 'ok'],
      ['image', 'ok'],
      ['cli.codex', 'ok'],
      ['gpu', 'ok'],
      ['agent.claude', 'ok'],
      ['agent.codex', 'ok'],
      ['agent.gemini', 'ok'],
      ['agent.coderabbit', 'ok'],
      ['forge.github', 'ok'],
      ['git', 'ok'],
      ['home', 'ok'],
      ['node', 'ok'],
    ]);
    expect(doctorOk(checks)).toBe(true);
    expect(checks.filter((c) => c.status === 'ok').every((c) => c.fix === null)).toBe(true);
    expect(checks.filter((c) => c.status !== 'ok').every((c) => typeof c.fix === 'string' && c.fix !== '')).toBe(true);
  });

  it.each<[string, Change, string, CheckStatus, RegExp, RegExp | null, boolean]>([
    // name, change, check id, status, message, fix, still ok overall
    ['no engine answers', (f) => { f.runtime.probes = [down('docker'), down('podman')]; f.image.runtime = undefined; f.image.present = undefined; }, 'runtime', 'fail', /no container runtime is reachable \(tried: docker, podman\)/, /start Docker/, false],
    ['no engine: image not checked', (f) => { f.runtime.probes = [down('docker'), down('podman')]; f.image.runtime = undefined; f.image.present = undefined; }, 'image', 'warn', /not checked, no container runtime is reachable/, /start a container engine/, false],
    ['only podman', (f) => { f.runtime.probes = [down('docker'), up('podman')]; }, 'runtime', 'ok', /container runs use podman \(first available\)/, null, true],
    ['a remote engine over SSH', (f) => { f.runtime.probes = [{ runtime: 'docker', ok: true, detail: 'Docker Engine 20.10.24', endpoint: 'ssh://ci@build:22', location: 'ssh' }, up('podman', 'Podman Engine 4.3.1')]; f.runtime.probes[1]!.location = 'local'; }, 'runtime.docker', 'ok', /^docker: Docker Engine 20\.10\.24 at ssh:\/\/ci@build:22 \(remote over SSH: workspaces are copied in and out\)$/, null, true],
    ['a local engine says so', (f) => { f.runtime.probes = [{ ...up('podman', 'Podman Engine 4.3.1'), location: 'local' }]; }, 'runtime.podman', 'ok', /^podman: Podman Engine 4\.3\.1 at unix:\/\/\/run\/podman\.sock \(local\)$/, null, true],
    ['both engines', (f) => { f.runtime.probes = [up('docker', 'Docker Engine 20.10.24'), up('podman', 'Podman Engine 4.3.1')]; }, 'runtime.podman', 'ok', /^podman: Podman Engine 4\.3\.1 at unix:\/\/\/run\/podman\.sock$/, null, true],
    ['apple preferred on linux: refused, not "no engine"', (f) => { f.runtime.prefer = 'apple'; }, 'runtime', 'fail', /^runtime apple \(Apple container\) runs only on macOS, not on linux$/, /--runtime docker, podman or auto/, false],
    ['preferred engine down: fallback warned', (f) => { f.runtime.prefer = 'podman'; }, 'runtime', 'warn', /runtime podman is not available .* using docker instead/, /start podman, or set runtime\.prefer/, true],
    ['image missing', (f) => { f.image.present = false; }, 'image', 'fail', /localhost\/agentctl-agent:latest \(the default agent image\) is not present in docker/, /agentctl image build --runtime docker/, false],
    ['image look-up failed', (f) => { f.image.present = undefined; f.image.error = 'socket hang up'; }, 'image', 'fail', /could not ask docker: socket hang up/, /answering/, false],
    ['GPU with toolkit', (f) => { f.gpu = { requested: true, nvidiaSmi: true, devices: ['/dev/nvidia0'], toolkit: true }; }, 'gpu', 'ok', /NVIDIA GPU found \(nvidia-smi\).*--gpu works/, null, true],
    ['GPU device without toolkit', (f) => { f.gpu = { requested: false, nvidiaSmi: false, devices: ['/dev/nvidia0', '/dev/nvidiactl'], toolkit: false }; }, 'gpu', 'warn', /\/dev\/nvidia0, \/dev\/nvidiactl.*no NVIDIA container toolkit/, /nvidia-container-toolkit/, true],
    ['GPU requested, none there', (f) => { f.gpu.requested = true; }, 'gpu', 'fail', /runtime\.gpu is on, but no NVIDIA GPU/, /runtime\.gpu: false/, false],
    ['no GPU, not requested', () => undefined, 'gpu', 'ok', /agents run on the CPU/, null, true],
    ['macOS: Metal', (f) => { f.platform = 'darwin'; f.runtime.probes = [up('apple'), down('docker'), down('podman')]; f.image.runtime = 'apple'; }, 'gpu', 'ok', /Metal/, null, true],
    ['claude: no key but ~/.claude', (f) => { f.setVars = []; f.configDirs = ['.claude']; }, 'agent.claude', 'ok', /~\/\.claude exists/, null, true],
    ['codex: no key, no dir, default agent', (f) => { f.setVars = []; }, 'agent.codex', 'warn', /codex \(the default agent\): none of CODEX_API_KEY, OPENAI_API_KEY is set and there is no ~\/\.codex/, /export CODEX_API_KEY=/, true],
    ['codex: OPENAI_API_KEY alone is enough', (f) => { f.setVars = ['OPENAI_API_KEY']; }, 'agent.codex', 'ok', /OPENAI_API_KEY is set/, null, true],
    ['a host agent is warned about', (f) => { f.hostAgents = ['claude']; }, 'host.claude', 'warn', /agent claude runs on the host \(agents\.claude\.host\), outside any container/, /remove "host: true".*agents\.claude/, true],
    ['forge token unset', (f) => { f.setVars = []; }, 'forge.github', 'warn', /GITHUB_TOKEN is not set/, /export GITHUB_TOKEN=<token>/, true],
    ['forge without token_env', (f) => { f.forges = [{ key: 'cb', kind: 'forgejo', url: 'https://codeberg.org', tokenEnv: undefined }]; }, 'forge.cb', 'warn', /no token variable configured/, /token_env/, true],
    ['git missing', (f) => { f.git = { version: undefined, error: 'spawn git ENOENT', name: 'a', email: 'b' }; }, 'git', 'fail', /git cannot be run: spawn git ENOENT/, /install git/, false],
    ['git identity shown', (f) => { f.git.name = 'Ada'; f.git.email = 'ada@example.com'; }, 'git', 'ok', /commits by Ada <ada@example\.com>/, null, true],
    ['state dir unwritable', (f) => { f.home = { path: '/ro/.agentctl', writable: false, error: 'EACCES: permission denied' }; }, 'home', 'fail', /\/ro\/\.agentctl is not writable: EACCES/, /AGENTCTL_HOME/, false],
    ['Node 22.12.0 is enough', (f) => { f.node.version = 'v22.12.0'; }, 'node', 'ok', /^Node 22\.12\.0$/, null, true],
    ['Node 22.11 is too old', (f) => { f.node.version = '22.11.0'; }, 'node', 'fail', /Node 22\.11\.0 is older than the 22\.12\.0/, /install Node/, false],
    ['the default agent CLI in the image, with its version', () => undefined, 'cli.codex', 'ok', /^codex \(the default agent\): codex codex-cli 0\.169\.0 in localhost\/agentctl-agent:latest$/, null, true],
    ['the default agent CLI missing from the image', (f) => { codexCli(f).probe = { found: false }; }, 'cli.codex', 'fail', /codex is not in localhost\/agentctl-agent:latest: a dispatch would fail at once \(exit code 127\)/, /agentctl image build --runtime docker.*agents\.codex\.image/, false],
    ['another agent CLI missing only warns', (f) => { codexCli(f).probe = { found: false }; codexCli(f).isDefault = false; }, 'cli.codex', 'warn', /not in/, /agentctl image build/, true],
    ['an older CLI may reject the flags', (f) => { codexCli(f).probe = { found: true, version: 'codex-cli 0.58.0' }; }, 'cli.codex', 'warn', /0\.58\.0 .* older than the 0\.169\.0 agentctl is tested with: it may reject the flags/, /agentctl image build/, true],
    ['a newer CLI is fine', (f) => { codexCli(f).probe = { found: true, version: 'codex-cli 0.200.1' }; }, 'cli.codex', 'ok', /0\.200\.1/, null, true],
    ['a CLI that would not say its version', (f) => { codexCli(f).probe = { found: undefined, error: 'codex --version exited with code 1' }; }, 'cli.codex', 'warn', /could not ask codex .*exited with code 1/, /codex --version/, true],
    ['not checked without the image', (f) => { f.image.present = false; codexCli(f).probe = undefined; codexCli(f).where = { kind: 'image', image: 'x:1', runtime: 'docker', present: false }; }, 'cli.codex', 'warn', /not checked, x:1 is not present/, /image or runtime/, false],
    ['a host agent found on the host', (f) => { claudeOnHost(f, false, { found: true, version: '2.1.197 (Claude Code)' }); }, 'cli.claude', 'ok', /claude 2\.1\.197 \(Claude Code\) on this machine/, null, true],
    ['a host agent missing on the host', (f) => { claudeOnHost(f, false, { found: false }); }, 'cli.claude', 'warn', /claude is not on this machine/, /npm install -g @anthropic-ai\/claude-code@2\.1\.197/, true],
    ['claude as a host agent run by root refuses', (f) => { claudeOnHost(f, true, { found: true, version: '2.1.197' }); codexCli(f).isDefault = false; f.agentClis[1] = { ...(f.agentClis[1] as DoctorFacts['agentClis'][number]), isDefault: true }; }, 'cli.claude', 'fail', /claude refuses to run as root/, /ordinary user/, false],
    ['Node 20 is too old', (f) => { f.node.version = '20.20.2'; }, 'node', 'fail', /older/, /Node 24/, false],
  ])('%s', (_name, change, id, status, message, fix, ok) => {
    const facts = healthy();
    change(facts);
    const checks = doctorChecks(facts);
    const found = byId(checks, id);
    expect(found.status).toBe(status);
    expect(found.message).toMatch(message);
    if (fix === null) expect(found.fix).toBeNull();
    else expect(found.fix).toMatch(fix);
    expect(doctorOk(checks)).toBe(ok);
  });

  it('facts carry names only, so no check can show a value', () => {
    const checks = doctorChecks({ ...healthy(), setVars: ['ANTHROPIC_API_KEY'] });
    expect(JSON.stringify(checks)).toContain('ANTHROPIC_API_KEY is set');
  });
});

describe('compareVersions', () => {
  it.each<[string, string, number]>([
    ['22.12.0', '22.12.0', 0],
    ['v22.12.0', '22.12', 0],
    ['22.12.1', '22.12.0', 1],
    ['22.9.0', '22.12.0', -1],
    ['24.0.0', '22.12.0', 1],
    ['20.20.2', '22.12.0', -1],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
  });
});
