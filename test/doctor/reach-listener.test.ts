/**
 * doctor's reach listener is open on the callback address while the probe
 * runs: anyone who can reach it may call. It records only a known node that
 * brings the token, reads no body, and echoes nothing a caller sent.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listenForReach, type ReachListener } from '../../src/doctor/reach-listener.js';

const TOKEN = 'a'.repeat(64);
const NODES = ['tnkce3gdt2dbvw4kwvow0qe85', 'othernode0000000000000000'];

function call(port: number, options: { method?: string; path: string; token?: string; body?: Buffer }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` } }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString('latin1')));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    // The listener may close while a big body is still going out: its answer is what counts.
    req.on('error', (error) => reject(error));
    req.end(options.body);
  });
}

describe('the reach listener', () => {
  let listener: ReachListener;
  afterEach(async () => listener.close());

  it('records a known node that brings the token, and says nothing back', async () => {
    listener = await listenForReach('127.0.0.1', TOKEN, NODES);
    expect(await call(listener.port, { path: `/reach?node=${NODES[0]}`, token: TOKEN })).toEqual({ status: 204, body: '' });
    expect([...listener.reached]).toEqual([NODES[0]]);
  });

  it.each([
    { name: 'no token', path: `/reach?node=${NODES[0]}`, token: undefined, status: 403 },
    { name: 'a wrong token', path: `/reach?node=${NODES[0]}`, token: 'b'.repeat(64), status: 403 },
    { name: 'a prefix of the token', path: `/reach?node=${NODES[0]}`, token: TOKEN.slice(0, 10), status: 403 },
    { name: 'a node id the manager does not list', path: '/reach?node=bogus', token: TOKEN, status: 404 },
    { name: 'a node id with escape sequences', path: `/reach?node=${encodeURIComponent(`\u001b]0;pwned\u0007${NODES[0]}`)}`, token: TOKEN, status: 404 },
    { name: 'another path', path: `/in?node=${NODES[0]}`, token: TOKEN, status: 404 },
    { name: 'no node', path: '/reach', token: TOKEN, status: 404 },
  ])('refuses $name: nothing recorded, nothing echoed', async ({ path, token, status }) => {
    listener = await listenForReach('127.0.0.1', TOKEN, NODES);
    expect(await call(listener.port, { path, ...(token === undefined ? {} : { token }) })).toEqual({ status, body: '' });
    expect(listener.reached.size).toBe(0);
  });

  it('refuses a request with a body without reading it, even with the token and a known node', async () => {
    listener = await listenForReach('127.0.0.1', TOKEN, NODES);
    const answer = await call(listener.port, { method: 'POST', path: `/reach?node=${NODES[0]}`, token: TOKEN, body: Buffer.alloc(64 * 1024 * 1024, 0x41) }).catch((error: Error) => ({ status: 0, body: error.message }));
    // Either the refusal, or the connection cut while the body was still going out.
    expect([400, 0]).toContain(answer.status);
    expect(answer.body).not.toContain('AAAA');
    expect(listener.reached.size).toBe(0);
  });

  it('drops headers beyond its bound, and goes on answering', async () => {
    listener = await listenForReach('127.0.0.1', TOKEN, NODES);
    const huge = await new Promise<string>((resolve) => {
      const socket = connect(listener.port, '127.0.0.1', () => socket.write(`GET /reach?node=${NODES[0]} HTTP/1.1\r\nx: ${'y'.repeat(64 * 1024)}\r\n\r\n`));
      let got = '';
      socket.on('data', (chunk: Buffer) => (got += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(got));
    });
    expect(huge).not.toContain('yyyy');
    expect(await call(listener.port, { path: `/reach?node=${NODES[1]}`, token: TOKEN })).toEqual({ status: 204, body: '' });
    expect([...listener.reached]).toEqual([NODES[1]]);
  });
});
