import { copyFileSync, statSync, utimesSync } from 'node:fs';

/**
 * Copy a git index so that git still knows which of its entries are racily
 * clean. Git trusts an entry's recorded size and mtime only when the file's
 * mtime is older than the index itself; a plain copy gets a new mtime, after
 * which a same-size edit made in the second of the checkout would pass for
 * unchanged (agentctl's git compares mtimes by the second). The copy keeps
 * the index's time, floored to the second, so such entries are read again.
 */
export function copyIndexFile(from: string, to: string): void {
  copyFileSync(from, to);
  const second = Math.floor(statSync(from).mtimeMs / 1000);
  utimesSync(to, second, second);
}
