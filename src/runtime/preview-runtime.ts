import { existsSync } from 'node:fs';
import type { RuntimeName } from '../core/container/container-spec.js';

/** Sockets engines usually listen on, in the order tried. */
export const DOCKER_SOCKETS = ['/var/run/docker.sock', '/run/docker.sock'];
export const PODMAN_SOCKETS = ['/run/podman/podman.sock'];

function socketPath(url: string | undefined): string | undefined {
  if (url === undefined || !url.startsWith('unix://')) return undefined;
  return url.slice('unix://'.length);
}

/**
 * A cheap guess of the runtime a dispatch would use, for --dry-run: looks
 * for engine sockets without talking to them.
 */
export function previewRuntime(prefer: 'auto' | RuntimeName, env: Readonly<Record<string, string | undefined>>, platform: NodeJS.Platform, uid: number): RuntimeName {
  if (prefer !== 'auto') return prefer;
  if (platform === 'darwin') return 'apple';
  const dockerHost = socketPath(env.DOCKER_HOST);
  if (dockerHost !== undefined && existsSync(dockerHost)) return dockerHost.includes('podman') ? 'podman' : 'docker';
  if (DOCKER_SOCKETS.some((path) => existsSync(path))) return 'docker';
  const podmanHost = socketPath(env.CONTAINER_HOST);
  const userPodman = env.XDG_RUNTIME_DIR === undefined ? `/run/user/${uid}/podman/podman.sock` : `${env.XDG_RUNTIME_DIR}/podman/podman.sock`;
  if ([podmanHost, ...PODMAN_SOCKETS, userPodman].some((path) => path !== undefined && existsSync(path))) return 'podman';
  return 'docker';
}
