import { createServer as createNetServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { engineGet, imagePath } from '../../src/runtime/engine-http.js';

let server: Server | undefined;
afterEach(() => server?.close());

/** A raw TCP server that answers every request with these bytes, then closes. */
async function answering(raw: string | undefined): Promise<number> {
  server = createNetServer((socket) => {
    socket.once('data', () => (raw === undefined ? undefined : socket.end(raw)));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server!.address() as { port: number }).port;
}

describe('engineGet', () => {
  it.each<[string, string, { status: number; body: string }]>([
    ['a plain answer', 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nOK', { status: 200, body: 'OK' }],
    ['a chunked answer', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{"\r\n4\r\na":1\r\n1\r\n}\r\n0\r\n\r\n', { status: 200, body: '{"a":1}' }],
    ['a 404', 'HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\n{}', { status: 404, body: '{}' }],
  ])('reads %s', async (_name, raw, reply) => {
    const port = await answering(raw);
    expect(await engineGet({ host: '127.0.0.1', port, protocol: 'http' }, '/_ping', 2000)).toEqual(reply);
  });

  it('gives up on an engine that never answers, within the bound', async () => {
    const port = await answering(undefined);
    const started = performance.now();
    await expect(engineGet({ host: '127.0.0.1', port, protocol: 'http' }, '/_ping', 300)).rejects.toThrow('no answer within 0.3 s');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('names a socket that is not there', async () => {
    await expect(engineGet({ socketPath: '/tmp/agentctl-no-such-engine.sock' }, '/_ping', 1000)).rejects.toThrow('connect ENOENT /tmp/agentctl-no-such-engine.sock');
  });

  it('refuses what is not HTTP', async () => {
    const port = await answering('SSH-2.0-OpenSSH\r\n');
    await expect(engineGet({ host: '127.0.0.1', port, protocol: 'http' }, '/_ping', 2000)).rejects.toThrow('the engine did not answer in HTTP');
  });
});

describe('imagePath', () => {
  it.each([
    ['localhost/agentctl-agent:latest', '/images/localhost/agentctl-agent:latest/json'],
    ['registry:5000/a/b@sha256:abc', '/images/registry:5000/a/b%40sha256:abc/json'],
    ['x?y#z', '/images/x%3Fy%23z/json'],
  ])('%s -> %s', (image, path) => {
    expect(imagePath(image)).toBe(path);
  });
});
