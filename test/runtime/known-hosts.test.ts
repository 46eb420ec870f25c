import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprint, hostKeyVerdict, knownHostName } from '../../src/runtime/known-hosts.js';

const KEY = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIKn5nV1mTq3X9QfHq0xg2fYp1o5Z6m8bQyQ0d3r2s1tU', 'base64');
const OTHER = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIBnYQh3EdBJ4fXPxQg7pCZ0dKvH7xCqGdT8h2mEFrz7P', 'base64');
const line = (hosts: string, key = KEY) => `${hosts} ssh-ed25519 ${key.toString('base64')}`;

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts', () => {
  it('names a host on port 22 plainly and any other port in brackets', () => {
    expect(knownHostName('build.example', 22)).toBe('build.example');
    expect(knownHostName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });

  it.each<[string, string, string, Buffer, ReturnType<typeof hostKeyVerdict>]>([
    ['a listed key', line('build.example,10.0.0.5'), 'build.example', KEY, 'known'],
    ['a listed key on another port', line('[127.0.0.1]:2222'), '[127.0.0.1]:2222', KEY, 'known'],
    ['the same host on another port is another entry', line('127.0.0.1'), '[127.0.0.1]:2222', KEY, 'unknown'],
    ['a hashed entry', line(hashed('[127.0.0.1]:2222')), '[127.0.0.1]:2222', KEY, 'known'],
    ['a wildcard', line('*.example'), 'build.example', KEY, 'known'],
    ['a negated pattern', line('*.example,!build.example'), 'build.example', KEY, 'unknown'],
    ['another key for the host', line('build.example', OTHER), 'build.example', KEY, 'mismatch'],
    ['a revoked key', `@revoked ${line('*')}\n${line('build.example')}`, 'build.example', KEY, 'revoked'],
    ['a cert-authority line is not a host key', `@cert-authority ${line('*')}`, 'build.example', KEY, 'unknown'],
    ['no file', '', 'build.example', KEY, 'unknown'],
    ['comments and junk lines', `# build.example\n\nbuild.example\n${line('build.example')}`, 'build.example', KEY, 'known'],
  ])('%s', (_what, text, name, key, verdict) => {
    expect(hostKeyVerdict(text, name, key)).toBe(verdict);
  });

  it('fingerprints as OpenSSH does (SHA256, base64, no padding)', () => {
    expect(fingerprint(KEY)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});
