// The CLI ships as one bundle: loading ~150 small modules cost more start-up
// time than the work of a dry-run. Packages that are only loaded lazily by the
// commands that need them (engine, forge and terminal UI clients) stay
// external, which also keeps dockerode's optional native module out.
import { defineConfig } from 'rolldown';

export default defineConfig({
  input: {
    main: 'src/cli/main.ts',
    // docs/gen-config-reference.mjs renders the README's config reference from the schema.
    'config-reference': 'src/core/config/reference.ts',
  },
  platform: 'node',
  external: [/^node:/, 'dockerode', 'execa', 'react', 'ink', '@octokit/rest'],
  output: {
    dir: 'dist',
    format: 'esm',
    cleanDir: true,
    entryFileNames: '[name].js',
    chunkFileNames: 'chunks/[name]-[hash].js',
  },
});
