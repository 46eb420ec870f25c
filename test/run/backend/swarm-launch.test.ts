import { describe, expect, it } from 'vitest';
import { callbackHost, callbackUrl } from '../../../src/run/backend/swarm-launch.js';

describe('the swarm callback address', () => {
  it('is the configured one, else an address of this machine other than loopback', () => {
    expect(callbackHost('10.0.0.5')).toBe('10.0.0.5');
    expect(callbackHost(undefined)).not.toMatch(/^127\./);
  });

  it('puts an IPv6 address in brackets', () => {
    expect(callbackUrl('10.0.0.5', 41234)).toBe('http://10.0.0.5:41234');
    expect(callbackUrl('fd00::5', 41234)).toBe('http://[fd00::5]:41234');
  });
});
