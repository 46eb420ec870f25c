import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * agentctl's install directory (package.json, templates/, personas/, bin/).
 * Found by walking up from this module, because the module sits at a different
 * depth in src/ (tests), in the bundle's chunks and in an npm install.
 */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'templates'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`agentctl's package.json was not found above ${fileURLToPath(import.meta.url)}; reinstall agentctl`);
    dir = parent;
  }
}

export const PACKAGE_ROOT = findPackageRoot();
