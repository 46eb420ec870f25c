import type { RuntimeName } from '../container/container-spec.js';
import { AGENT_CLI_PACKAGES } from '../run/start-failure.js';
import type { Check } from './checks.js';
import { compareVersions } from './versions.js';

/** What `<cli> --version` said: found (with the version), not there, or no answer. */
export type CliProbe = { found: true; version: string | undefined } | { found: false } | { found: undefined; error: string };

/** CLIs that refuse to run as root with the flags agentctl gives them. */
export const ROOT_REFUSING_CLIS: readonly string[] = ['claude'];

/** One agent's CLI, where a dispatch of it would run it. */
export interface AgentCliFact {
  agent: string;
  isDefault: boolean;
  /** The program its command line starts with. */
  cli: string;
  where: { kind: 'image'; image: string; runtime: RuntimeName | undefined; present: boolean | undefined } | { kind: 'host'; asRoot: boolean };
  /** undefined: not asked (no engine, or the image is not there). */
  probe: CliProbe | undefined;
}

const check = (id: string, status: Check['status'], message: string, fix: string | null = null): Check => ({ id, status, message, fix });

function place(fact: AgentCliFact): string {
  return fact.where.kind === 'host' ? 'on this machine' : `in ${fact.where.image}`;
}

function installFix(fact: AgentCliFact): string {
  const pkg = AGENT_CLI_PACKAGES[fact.cli];
  if (fact.where.kind === 'host') return pkg === undefined ? `install ${fact.cli} on the PATH agentctl runs with` : `npm install -g ${pkg}`;
  const where = fact.where.runtime === undefined ? '' : ` --runtime ${fact.where.runtime}`;
  return `agentctl image build${where} (an image with claude, codex and gemini), or set agents.${fact.agent}.image to an image with ${fact.cli}`;
}

/** A dotted version inside whatever the CLI printed, e.g. "2.1.197 (Claude Code)" or "codex-cli 0.169.0". */
function versionIn(text: string | undefined): string | undefined {
  return text?.match(/\d+\.\d+\.\d+/)?.[0];
}

function agentCliCheck(fact: AgentCliFact): Check {
  const id = `cli.${fact.agent}`;
  const name = `${fact.agent}${fact.isDefault ? ' (the default agent)' : ''}`;
  // A missing CLI fails what a plain dispatch would run; another configured agent only warns.
  const severity = fact.isDefault ? 'fail' : 'warn';
  if (fact.where.kind === 'host' && fact.where.asRoot && ROOT_REFUSING_CLIS.includes(fact.cli)) {
    return check(id, severity, `${name}: ${fact.cli} refuses to run as root, and agentctl runs this host agent as root`, `run agentctl as an ordinary user, or remove host: true from agents.${fact.agent} to run it in a container`);
  }
  const { probe } = fact;
  if (probe === undefined) {
    const why = fact.where.kind === 'image' && fact.where.present === false ? `${fact.where.image} is not present` : 'no container runtime is reachable';
    return check(id, 'warn', `${name}: ${fact.cli} not checked, ${why}`, 'fix the image or runtime line above, then run agentctl doctor again');
  }
  if (probe.found === false) return check(id, severity, `${name}: ${fact.cli} is not ${place(fact)}: a dispatch would fail at once (exit code 127)`, installFix(fact));
  if (probe.found === undefined) return check(id, 'warn', `${name}: could not ask ${fact.cli} ${place(fact)} for its version: ${probe.error}`, `run "${fact.cli} --version" ${place(fact)} to see why`);
  const found = versionIn(probe.version);
  const pinned = AGENT_CLI_PACKAGES[fact.cli]?.split('@').at(-1);
  const said = probe.version ?? 'unknown version';
  if (found !== undefined && pinned !== undefined && compareVersions(found, pinned) < 0) {
    return check(id, 'warn', `${name}: ${fact.cli} ${said} ${place(fact)} is older than the ${pinned} agentctl is tested with: it may reject the flags agentctl passes`, installFix(fact));
  }
  return check(id, 'ok', `${name}: ${fact.cli} ${said} ${place(fact)}`);
}

/** The agent CLIs a dispatch would run, each found where it runs, or not. */
export function agentCliChecks(facts: readonly AgentCliFact[]): Check[] {
  return facts.map(agentCliCheck);
}
