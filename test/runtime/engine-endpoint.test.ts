import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/errors.js';
import { endpointCandidates, engineLocation, parseEngineUrl, resolveEndpoint, type EngineName, type EndpointInputs } from '../../src/runtime/engine-endpoint.js';
import { thrown } from '../core/thrown.js';

function inputs(env: Record<string, string>, runtime: EndpointInputs['runtime'], existing: string[] = []): EndpointInputs {
  return { env, runtime, uid: 1000, exists: (path) => existing.includes(path) };
}

describe('resolveEndpoint precedence', () => {
  it.each<[string, EngineName, EndpointInputs, string, string, string[]]>([
    ['DOCKER_HOST beats config and sockets', 'docker', inputs({ DOCKER_HOST: 'unix:///tmp/env.sock' }, { docker_host: 'unix:///tmp/config.sock' }, ['/var/run/docker.sock']), 'unix:///tmp/env.sock', 'env', ['unix:///tmp/env.sock']],
    ['config beats sockets', 'docker', inputs({}, { docker_host: 'tcp://127.0.0.1:2375' }, ['/var/run/docker.sock']), 'tcp://127.0.0.1:2375', 'config', ['tcp://127.0.0.1:2375']],
    ['an empty DOCKER_HOST counts as unset', 'docker', inputs({ DOCKER_HOST: '' }, { docker_host: 'unix:///tmp/config.sock' }), 'unix:///tmp/config.sock', 'config', ['unix:///tmp/config.sock']],
    ['docker ignores podman settings', 'docker', inputs({ CONTAINER_HOST: 'unix:///tmp/podman.sock' }, { podman_host: 'unix:///tmp/p.sock' }, ['/run/docker.sock']), 'unix:///run/docker.sock', 'default', ['unix:///var/run/docker.sock', 'unix:///run/docker.sock']],
    ['the first existing docker socket', 'docker', inputs({}, {}, ['/var/run/docker.sock', '/run/docker.sock']), 'unix:///var/run/docker.sock', 'default', ['unix:///var/run/docker.sock']],
    ['no docker socket: the first, all tried', 'docker', inputs({}, {}), 'unix:///var/run/docker.sock', 'default', ['unix:///var/run/docker.sock', 'unix:///run/docker.sock']],
    ['CONTAINER_HOST beats config', 'podman', inputs({ CONTAINER_HOST: 'unix:///tmp/env.sock' }, { podman_host: 'unix:///tmp/config.sock' }), 'unix:///tmp/env.sock', 'env', ['unix:///tmp/env.sock']],
    ['podman ignores DOCKER_HOST', 'podman', inputs({ DOCKER_HOST: 'unix:///tmp/docker.sock' }, { podman_host: 'unix:///tmp/config.sock' }), 'unix:///tmp/config.sock', 'config', ['unix:///tmp/config.sock']],
    ['rootful podman socket first', 'podman', inputs({ XDG_RUNTIME_DIR: '/run/user/1000' }, {}, ['/run/podman/podman.sock', '/run/user/1000/podman/podman.sock']), 'unix:///run/podman/podman.sock', 'default', ['unix:///run/podman/podman.sock']],
    ['rootless podman under XDG_RUNTIME_DIR', 'podman', inputs({ XDG_RUNTIME_DIR: '/tmp/xdg' }, {}, ['/tmp/xdg/podman/podman.sock']), 'unix:///tmp/xdg/podman/podman.sock', 'default', ['unix:///run/podman/podman.sock', 'unix:///tmp/xdg/podman/podman.sock']],
    ['rootless podman under /run/user/UID without XDG_RUNTIME_DIR', 'podman', inputs({}, {}, ['/run/user/1000/podman/podman.sock']), 'unix:///run/user/1000/podman/podman.sock', 'default', ['unix:///run/podman/podman.sock', 'unix:///run/user/1000/podman/podman.sock']],
  ])('%s', (_name, engine, given, url, source, tried) => {
    const endpoint = resolveEndpoint(engine, given);
    expect(endpoint.url).toBe(url);
    expect(endpoint.source).toBe(source);
    expect(endpoint.tried).toEqual(tried);
  });

  it('lists every candidate in order, for messages', () => {
    expect(endpointCandidates('podman', inputs({ CONTAINER_HOST: 'tcp://a:1' }, { podman_host: 'unix:///c.sock' }))).toEqual([
      { url: 'tcp://a:1', source: 'env' },
      { url: 'unix:///c.sock', source: 'config' },
      { url: 'unix:///run/podman/podman.sock', source: 'default' },
      { url: 'unix:///run/user/1000/podman/podman.sock', source: 'default' },
    ]);
  });
});

describe('remote endpoints', () => {
  it.each<[string, Record<string, string>, unknown, string]>([
    ['ssh://me@build.example:2222', {}, { ssh: { host: 'build.example', port: 2222, username: 'me' } }, 'ssh'],
    ['ssh://me@build.example', {}, { ssh: { host: 'build.example', port: 22, username: 'me' } }, 'ssh'],
    ['ssh://root@127.0.0.1:22022', {}, { ssh: { host: '127.0.0.1', port: 22022, username: 'root' } }, 'ssh'],
    ['tcp://engine', { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' }, { host: 'engine', port: 2376, protocol: 'https', tls: { certPath: '/certs' } }, 'tcp'],
    ['https://engine:2376', {}, { host: 'engine', port: 2376, protocol: 'https' }, 'tcp'],
    ['tcp://127.0.0.1:2375', {}, { host: '127.0.0.1', port: 2375, protocol: 'http' }, 'local'],
    ['unix:///run/docker.sock', {}, { socketPath: '/run/docker.sock' }, 'local'],
  ])('%s %j', (url, env, connection, location) => {
    const parsed = parseEngineUrl(url, env);
    expect(parsed).toEqual(connection);
    expect(engineLocation(parsed)).toBe(location);
  });

  it('DOCKER_HOST=ssh:// is resolved with the env it came from', () => {
    const endpoint = resolveEndpoint('docker', inputs({ DOCKER_HOST: 'ssh://ci@runner:2200' }, {}));
    expect(endpoint.connection).toEqual({ ssh: { host: 'runner', port: 2200, username: 'ci' } });
  });

  it('plain tcp:// to another machine is refused without DOCKER_TLS_VERIFY, and so is DOCKER_CERT_PATH alone', () => {
    expect(thrown(() => parseEngineUrl('tcp://engine:2376', { DOCKER_CERT_PATH: '/certs' })).message).toContain('plain HTTP to another machine');
  });
});

describe('parseEngineUrl', () => {
  it.each([
    ['unix:///var/run/docker.sock', { socketPath: '/var/run/docker.sock' }],
    ['tcp://127.0.0.1:2375', { host: '127.0.0.1', port: 2375, protocol: 'http' }],
    ['tcp://localhost', { host: 'localhost', port: 2375, protocol: 'http' }],
    ['http://127.0.0.2:8080', { host: '127.0.0.2', port: 8080, protocol: 'http' }],
    ['https://engine:2376', { host: 'engine', port: 2376, protocol: 'https' }],
    ['tcp://[::1]:2375', { host: '::1', port: 2375, protocol: 'http' }],
  ])('%s', (url, connection) => {
    expect(parseEngineUrl(url)).toEqual(connection);
  });

  it.each([
    ['unix://relative.sock', 'the socket path must be absolute'],
    ['unix://', 'the socket path must be absolute'],
    ['ftp://me@host', 'unsupported scheme "ftp"'],
    ['ssh://host', 'name the SSH user (ssh://user@host)'],
    ['ssh://me@host/var/run/docker.sock', 'an ssh:// endpoint has no path'],
    ['tcp://engine:2375', 'plain HTTP to another machine gives anyone on the way the engine; use ssh:// or TLS'],
    ['http://10.0.0.5:8080', 'plain HTTP to another machine gives anyone on the way the engine; use ssh:// or TLS'],
    ['/var/run/docker.sock', 'not a URL'],
  ])('rejects %s', (url, why) => {
    const error = thrown(() => parseEngineUrl(url));
    expect(error.code).toBe('engine_endpoint');
    expect(error.exitCode).toBe(ExitCode.config);
    expect(error.message).toBe(`Cannot use engine endpoint "${url}": ${why}.`);
  });

  it.each([
    ['ssh://me:s3cret@host', 'ssh://me:***@host', 'passwords are not taken; use ssh-agent or runtime.ssh.identity'],
    ['tcp://me:s3cret@127.0.0.1:2375', 'tcp://me:***@127.0.0.1:2375', 'passwords are not taken; use TLS client certificates (DOCKER_CERT_PATH)'],
    ['https://:s3cret@engine:2376', 'https://:***@engine:2376', 'passwords are not taken; use TLS client certificates (DOCKER_CERT_PATH)'],
  ])('refuses %s without echoing its password', (url, shown, why) => {
    const error = thrown(() => parseEngineUrl(url));
    expect(error.message).toBe(`Cannot use engine endpoint "${shown}": ${why}.`);
    expect(`${error.message} ${error.hint}`).not.toContain('s3cret');
  });
});
