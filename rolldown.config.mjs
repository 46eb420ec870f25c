// The CLI ships as one bundle: loading ~150 small modules cost more start-up
// time than the work of a dry-run. Packages that are only loaded lazily by the
// commands that need them (forge and terminal UI clients) stay external.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'rolldown';

/**
 * Names the code a config is parsed and validated with, so the CLI's cache
 * of validated configs (src/config/config-cache.ts) never serves a config
 * made by other code: the config sources, the schema, and the versions of
 * agentctl, zod and yaml.
 */
function configFingerprint() {
  const hash = createHash('sha256');
  for (const dir of ['src/core/config', 'src/config']) {
    for (const name of readdirSync(dir).sort()) hash.update(`${dir}/${name}\0`).update(readFileSync(join(dir, name))).update('\0');
  }
  for (const pkg of ['package.json', 'node_modules/zod/package.json', 'node_modules/yaml/package.json']) {
    hash.update(`${pkg}\0${JSON.parse(readFileSync(pkg, 'utf8')).version}\0`);
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * dockerode is bundled, with its two optional transports loaded on first use:
 * docker-modem's SSH support (ssh2, with a native add-on) and dockerode's
 * BuildKit session (gRPC) took ~50 of the ~70 ms dockerode needed to load,
 * on the path of every real dispatch, though only ssh:// engines and
 * BuildKit builds use them. Each rewrite must match, so a dependency
 * update that moves them fails the build instead of silently loading eagerly.
 */
const lazyRequires = [
  { file: /docker-modem[\\/]lib[\\/]modem\.js$/, from: "ssh = require('./ssh'),", to: "ssh = function (opt) { return require('./ssh')(opt); }," },
  {
    file: /dockerode[\\/]lib[\\/]docker\.js$/,
    from: "withSession = require('./session'),",
    to: 'withSession = function () { return require(\'./session\').apply(this, arguments); },',
  },
  // tar-fs packs a build context, and zlib (~30 ms to load on Node 24) gzips it; only `image build` needs them.
  { file: /dockerode[\\/]lib[\\/]util\.js$/, from: "var tar = require('tar-fs');", to: "var tar = { pack: function () { var real = require('tar-fs'); return real.pack.apply(real, arguments); } };" },
  { file: /dockerode[\\/]lib[\\/]util\.js$/, from: "var zlib = require('zlib');", to: "var zlib = { createGzip: function () { return require('zlib').createGzip.apply(null, arguments); } };" },
];

const lazyOptionalTransports = {
  name: 'lazy-optional-transports',
  transform(code, id) {
    const rules = lazyRequires.filter((r) => r.file.test(id));
    if (rules.length === 0) return null;
    let out = code;
    for (const rule of rules) {
      if (!out.includes(rule.from)) throw new Error(`rolldown.config.mjs: ${id} no longer contains ${JSON.stringify(rule.from)}; update lazyRequires`);
      out = out.replace(rule.from, rule.to);
    }
    return out;
  },
};

export default defineConfig({
  input: {
    main: 'src/cli/main.ts',
    // docs/gen-reference.mjs renders docs/reference/*.md from the code.
    'reference-docs': 'src/cli/reference-docs.ts',
    // A Swarm run's courier: its own small process, spawned detached by src/run/backend/swarm-launch.ts.
    'swarm-courier': 'src/run/backend/swarm-courier-main.ts',
  },
  platform: 'node',
  external: [/^node:/, 'ssh2', /^@grpc\//, 'protobufjs', 'execa', 'react', 'ink', '@octokit/rest'],
  plugins: [lazyOptionalTransports],
  transform: { define: { __AGENTCTL_CONFIG_FINGERPRINT__: JSON.stringify(configFingerprint()) } },
  output: {
    dir: 'dist',
    format: 'esm',
    cleanDir: true,
    entryFileNames: '[name].js',
    chunkFileNames: 'chunks/[name]-[hash].js',
  },
});
