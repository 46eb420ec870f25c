import { ExitCode } from '../../core/errors.js';
import { AGENT_CLIS, configuredImage, describeSource, parseVersionProbe, shortId, versionProbeScript } from '../../core/image/agent-image.js';
import type { Deps } from '../deps.js';
import { realBuilderFactory, selectImageRuntime, type BuilderFactory } from '../image-runtime.js';
import { loadConfigFor } from '../load.js';
import { imageStatusOp } from '../operations/admin.js';
import { parseOptions } from '../parse-options.js';

/** Long enough for three Node CLIs to start cold on a busy machine. */
const VERSIONS_TIMEOUT_MS = 120_000;

export async function run(raw: unknown, deps: Deps, seams: { builders?: BuilderFactory } = {}): Promise<number> {
  const opts = parseOptions(imageStatusOp.input, raw, 'image status');
  const { config } = await loadConfigFor(deps, opts.config);
  const configured = configuredImage(config, deps.env);
  const runtime = await selectImageRuntime(deps, config, opts.runtime);
  const builder = await (seams.builders ?? realBuilderFactory)(runtime, config, deps);
  const info = await builder.inspectImage(configured.image);

  let versions: Record<string, string | null> = Object.fromEntries(AGENT_CLIS.map((cli) => [cli, null]));
  let versionsError: string | null = null;
  if (info !== undefined) {
    try {
      const result = await builder.runOnce(configured.image, ['sh', '-c', versionProbeScript()], { timeoutMs: VERSIONS_TIMEOUT_MS });
      versions = parseVersionProbe(result.output);
      if (result.exitCode !== 0) versionsError = `the version probe exited with code ${result.exitCode}${result.exitCode === 124 ? ' (timed out)' : ''}`;
    } catch (error) {
      versionsError = (error as Error).message;
    }
  }

  const status = {
    image: configured.image,
    source: describeSource(configured),
    runtime,
    present: info !== undefined,
    id: info?.id ?? null,
    digest: info?.digest ?? null,
    created: info?.created ?? null,
    labels: info?.labels ?? {},
    versions,
    versionsError,
  };
  const exitCode = info === undefined ? ExitCode.environment : ExitCode.ok;
  if (opts.json) {
    deps.io.out(`${JSON.stringify(status, null, 2)}\n`);
    if (info === undefined) deps.io.err(`hint: agentctl image build --runtime ${runtime}\n`);
    return exitCode;
  }
  if (info === undefined) {
    deps.io.out(`image    ${configured.image} (${status.source})\nruntime  ${runtime}\npresent  no\n`);
    deps.io.err(`hint: build it with "agentctl image build --runtime ${runtime}", or set runtime.image / AGENTCTL_IMAGE to an image you have\n`);
    return exitCode;
  }
  let out = `image    ${configured.image} (${status.source})\nruntime  ${runtime}\npresent  yes\n`;
  out += `id       ${shortId(info.id)}\n`;
  if (info.digest !== undefined) out += `digest   ${info.digest}\n`;
  if (info.created !== undefined) out += `created  ${info.created}\n`;
  for (const cli of AGENT_CLIS) out += `${cli.padEnd(8)} ${versions[cli] ?? 'not installed'}\n`;
  deps.io.out(out);
  if (versionsError !== null) deps.io.err(`warning: could not read every CLI version: ${versionsError}\n`);
  return exitCode;
}
