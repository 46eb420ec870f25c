import { createHash, createHmac } from 'node:crypto';

/** One key line of a known_hosts file that names the host. */
interface KnownKey {
  revoked: boolean;
  key: Buffer;
}

/** How known_hosts names a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH's fingerprint of a public key blob: SHA256:<base64, unpadded>. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

function matchesPattern(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    // Hashed entry: |1|base64(salt)|base64(HMAC-SHA1(salt, name)).
    const [, , salt, hash] = pattern.split('|');
    if (salt === undefined || hash === undefined) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return regex.test(name);
}

function namesHost(patterns: string, name: string): boolean {
  let matched = false;
  for (const pattern of patterns.split(',')) {
    if (pattern.startsWith('!')) {
      if (matchesPattern(pattern.slice(1), name)) return false;
    } else if (matchesPattern(pattern, name)) matched = true;
  }
  return matched;
}

/** The keys a known_hosts text lists for `name`; @cert-authority lines are not supported and are skipped. */
export function knownKeys(text: string, name: string): KnownKey[] {
  const keys: KnownKey[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0]?.startsWith('@') === true ? fields.shift() : undefined;
    if (marker === '@cert-authority') continue;
    const [patterns, , blob] = fields;
    if (patterns === undefined || blob === undefined || !namesHost(patterns, name)) continue;
    keys.push({ revoked: marker === '@revoked', key: Buffer.from(blob, 'base64') });
  }
  return keys;
}

/** Whether `key` is a listed, unrevoked key for `name`: the only answer that lets a connection on. */
export function hostKeyVerdict(text: string, name: string, key: Buffer): 'known' | 'unknown' | 'mismatch' | 'revoked' {
  const keys = knownKeys(text, name);
  if (keys.some((entry) => entry.revoked && entry.key.equals(key))) return 'revoked';
  if (keys.some((entry) => !entry.revoked && entry.key.equals(key))) return 'known';
  return keys.some((entry) => !entry.revoked) ? 'mismatch' : 'unknown';
}
