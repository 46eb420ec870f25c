import { describe, expect, it } from 'vitest';
import type { RuntimeName } from '../../../src/core/container/container-spec.js';
import type { NetworkMode } from '../../../src/core/container/hardening.js';
import { hostGateway, localModelUrl } from '../../../src/core/container/host-gateway.js';

describe('hostGateway', () => {
  it.each<[RuntimeName, NetworkMode, string | undefined, string[], string | undefined]>([
    // Docker maps the name only when asked, to its bridge's address.
    ['docker', 'bridge', 'host.docker.internal', ['host.docker.internal:host-gateway'], 'http://host.docker.internal:11434/v1'],
    // Podman adds host.containers.internal itself and takes "host-gateway" literally: no entry.
    ['podman', 'bridge', 'host.containers.internal', [], 'http://host.containers.internal:11434/v1'],
    // Apple container has no name for the host by default: its default network's gateway is the host.
    ['apple', 'bridge', '192.168.64.1', [], 'http://192.168.64.1:11434/v1'],
    ['docker', 'none', undefined, [], undefined],
    ['podman', 'none', undefined, [], undefined],
    ['apple', 'none', undefined, [], undefined],
  ])('%s on network %s: the host is %s', (runtime, network, name, extraHosts, url) => {
    const gateway = hostGateway(runtime, network);
    expect(gateway?.name).toBe(name);
    expect(gateway?.extraHosts ?? []).toStrictEqual(extraHosts);
    expect(gateway === undefined ? undefined : localModelUrl(gateway)).toBe(url);
  });
});
