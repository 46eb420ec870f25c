import { doctorChecks, doctorOk, type Check } from '../../core/doctor/checks.js';
import { ExitCode } from '../../core/errors.js';
import type { DoctorJson } from '../json-shapes.js';
import { gatherFacts, realSystemProbe, type SystemProbe } from '../../doctor/gather-facts.js';
import { stateHome, type Deps } from '../deps.js';
import { paint, useColor } from '../io.js';
import { loadConfigFor } from '../load.js';
import { doctorOp } from '../operations/admin.js';
import { parseOptions } from '../parse-options.js';

/** Optional seams for tests: the machine doctor looks at. */
export interface DoctorSeams {
  system?: SystemProbe;
}

export async function run(raw: unknown, deps: Deps, seams: DoctorSeams = {}): Promise<number> {
  const opts = parseOptions(doctorOp.input, raw, 'doctor');
  const { config } = await loadConfigFor(deps, opts.config);
  const facts = await gatherFacts({
    config,
    env: deps.env,
    home: deps.home,
    stateHome: stateHome(deps),
    platform: deps.platform,
    registry: await deps.runtimes(config),
    system: seams.system ?? realSystemProbe(deps.env),
    user: deps.user,
  });
  const checks = doctorChecks(facts);
  const ok = doctorOk(checks);
  const exitCode = ok ? ExitCode.ok : ExitCode.environment;
  if (opts.json) {
    const out: DoctorJson = { ok, checks };
    deps.io.out(`${JSON.stringify(out, null, 2)}\n`);
    return exitCode;
  }
  const p = paint(useColor(deps.io, deps.env, false));
  const colour = (c: Check) => (c.status === 'ok' ? p.green : c.status === 'warn' ? p.yellow : p.red)(c.status.padEnd(4));
  const width = Math.max(...checks.map((c) => c.id.length));
  deps.io.out(checks.map((c) => `${colour(c)}  ${c.id.padEnd(width)}  ${c.message}${c.fix === null ? '' : p.dim(` (fix: ${c.fix})`)}\n`).join(''));
  const failed = checks.filter((c) => c.status === 'fail').length;
  const warned = checks.filter((c) => c.status === 'warn').length;
  deps.io.err(
    ok
      ? `ready to dispatch${warned > 0 ? ` (${warned} warning${warned === 1 ? '' : 's'})` : ''}\n`
      : `${failed} problem${failed === 1 ? '' : 's'} a dispatch would fail on; fix the lines marked fail\n`,
  );
  return exitCode;
}
