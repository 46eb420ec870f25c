import { closeSync, fstatSync, lstatSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { outboxFiles, workspaceLayout } from '../../core/workspace/layout.js';
import { appendUntrusted, openUntrusted, readUntrusted, readUntrustedTail, somethingAt } from '../../fs/untrusted-file.js';
import type { Outbox, OutboxEntry } from './agent-backend.js';

/** Where each entry is in a workspace on this machine. */
export function entryPath(workspace: string, agentBase: string, entry: OutboxEntry): string {
  const layout = workspaceLayout(workspace);
  const files = outboxFiles(layout.outbox, agentBase);
  switch (entry) {
    case 'log':
      return files.log;
    case 'exit-code':
      return files.exitCode;
    case 'review':
      return files.review;
    case 'qa-log':
      return files.qaLog;
    case 'qa-failed':
      return files.qaFailed;
    case 'question':
      return join(layout.repo, 'BLOCKED.md');
  }
}

/** The outbox of a workspace on this machine (a local engine's bind mount, or a host agent's own files). */
export function localOutbox(workspace: string, agentBase: string): Outbox {
  const path = (entry: OutboxEntry) => entryPath(workspace, agentBase, entry);
  return {
    read: (entry, maxBytes) => readUntrusted(path(entry), maxBytes),
    tail: (entry, maxBytes) => readUntrustedTail(path(entry), maxBytes),
    open(entry) {
      const fd = openUntrusted(path(entry));
      if (fd === undefined) return undefined;
      let size: number;
      try {
        size = fstatSync(fd).size;
      } catch {
        closeSync(fd);
        return undefined;
      }
      return {
        size,
        readAt: (buffer, offset, length) => readSync(fd, buffer, 0, length, offset),
        close: () => closeSync(fd),
      };
    },
    present: (entry) => somethingAt(path(entry)),
    modifiedAt(entry) {
      try {
        return lstatSync(path(entry)).mtimeMs;
      } catch {
        return undefined;
      }
    },
    clear(entries) {
      // rm never follows a link: a planted one is removed, not its target. The wrapper's temporary exit file goes too.
      for (const entry of entries) {
        rmSync(path(entry), { force: true, recursive: true });
        if (entry === 'exit-code') rmSync(`${path(entry)}.tmp`, { force: true, recursive: true });
      }
    },
    note: (text) => appendUntrusted(path('log'), text),
  };
}
