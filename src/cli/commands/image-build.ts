import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentctlError, ExitCode, usageError } from '../../core/errors.js';
import { configuredImage, shortId } from '../../core/image/agent-image.js';
import { PACKAGE_ROOT } from '../../package-root.js';
import { stateHome, type Deps } from '../deps.js';
import { realBuilderFactory, selectImageRuntime, type BuilderFactory } from '../image-runtime.js';
import { loadConfigFor } from '../load.js';
import { imageBuildOp } from '../operations/admin.js';
import { parseOptions } from '../parse-options.js';

export const CONTAINERFILE = 'Containerfile';
/** The Containerfile's own default for BASE. */
export const DEFAULT_BASE = 'debian:bookworm-slim';
/** Labels every image built by agentctl carries; the hash tells whether an image is from this Containerfile and base. */
export const LABEL_CONTAINERFILE = 'dev.agentctl.containerfile-sha256';
export const LABEL_BASE = 'dev.agentctl.base';
export const LABEL_VERSION = 'dev.agentctl.version';
/** The directory of the build context the Containerfile copies extra CA certificates from. */
export const EXTRA_CERTS_DIR = 'extra-certs';

/**
 * Extra CA certificates to trust inside the image: --ca-file, else the file
 * NODE_EXTRA_CA_CERTS names (what this machine's Node already trusts).
 */
export function extraCaFile(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): { path: string; from: string } | undefined {
  if (flag !== undefined) return { path: flag, from: '--ca-file' };
  const fromEnv = env.NODE_EXTRA_CA_CERTS;
  return fromEnv !== undefined && fromEnv !== '' ? { path: fromEnv, from: 'NODE_EXTRA_CA_CERTS' } : undefined;
}

export interface ImageSeams {
  builders?: BuilderFactory;
  /** Where the Containerfile is; agentctl's own package by default. */
  packageRoot?: string;
}

/** sha256 of the Containerfile's text and the base: what an up-to-date image was built from. */
export function buildFingerprint(containerfile: string, base: string): string {
  return createHash('sha256').update(containerfile).update('\0').update(base).digest('hex');
}

function packageVersion(root: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function run(raw: unknown, deps: Deps, seams: ImageSeams = {}): Promise<number> {
  const opts = parseOptions(imageBuildOp.input, raw, 'image build');
  const { config } = await loadConfigFor(deps, opts.config);
  const root = seams.packageRoot ?? PACKAGE_ROOT;
  const path = join(root, CONTAINERFILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new AgentctlError('containerfile_missing', `cannot read the Containerfile shipped with agentctl at ${path}: ${(error as Error).message}`, {
      exitCode: ExitCode.environment,
      hint: 'reinstall agentctl; the package ships its Containerfile next to package.json',
      cause: error,
    });
  }
  const tag = opts.tag ?? configuredImage(config, deps.env).image;
  // AGENTCTL_IMAGE_BASE: where no registry is reachable, a local Debian 12 for every build, as --base gives one.
  const base = opts.base ?? (deps.env.AGENTCTL_IMAGE_BASE || undefined) ?? DEFAULT_BASE;
  const ca = extraCaFile(opts.caFile, deps.env);
  const runtime = await selectImageRuntime(deps, config, opts.runtime);
  const builder = await (seams.builders ?? realBuilderFactory)(runtime, config, deps);

  // The context: the Containerfile and extra-certs/ (empty, or the CA file), nothing else.
  const tmp = join(stateHome(deps), 'tmp');
  mkdirSync(tmp, { recursive: true });
  const context = mkdtempSync(join(tmp, 'image-build-'));
  let id: string | undefined;
  const started = deps.clock.now().getTime();
  try {
    writeFileSync(join(context, CONTAINERFILE), text);
    mkdirSync(join(context, EXTRA_CERTS_DIR));
    if (ca !== undefined) {
      try {
        copyFileSync(ca.path, join(context, EXTRA_CERTS_DIR, 'agentctl-extra.crt'));
      } catch (error) {
        throw usageError('ca_file_unreadable', `cannot read the CA certificates ${ca.path} (${ca.from}): ${(error as Error).message}`, 'pass a readable PEM file with --ca-file');
      }
      deps.io.err(`trusting the extra CA certificates in ${ca.path} (${ca.from})\n`);
    }
    deps.io.err(`building ${tag} with ${runtime} from ${path} (base ${base})\n`);
    ({ id } = await builder.build(
      {
        contextDir: context,
        files: [CONTAINERFILE, EXTRA_CERTS_DIR],
        containerfile: CONTAINERFILE,
        tag,
        buildArgs: base === DEFAULT_BASE ? {} : { BASE: base },
        labels: { [LABEL_CONTAINERFILE]: buildFingerprint(text, base), [LABEL_BASE]: base, [LABEL_VERSION]: packageVersion(root) },
        hostNetwork: true,
      },
      (line) => deps.io.err(`  ${line}\n`),
    ));
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  const seconds = Math.round((deps.clock.now().getTime() - started) / 1000);
  if (opts.json) {
    deps.io.out(`${JSON.stringify({ image: tag, id: id ?? null, runtime, base, containerfile: path, seconds }, null, 2)}\n`);
  } else {
    deps.io.out(`${tag}${id === undefined ? '' : ` ${shortId(id)}`}\n`);
    deps.io.err(`built ${tag} with ${runtime} in ${seconds} s\n`);
  }
  return ExitCode.ok;
}
