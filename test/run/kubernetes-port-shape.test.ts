import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AgentBackend } from '../../src/run/backend/agent-backend.js';

/**
 * docs/design/kubernetes.md says the run port needs no change for a
 * Kubernetes engine. This holds it to that, at compile time: one entry per
 * port operation, typed by the port itself, so an operation added to
 * AgentBackend (or one taken away) fails the typecheck here until the
 * design says how Kubernetes does it. The test checks the design's table
 * lists the same operations.
 */
const KUBERNETES: Record<keyof AgentBackend, string> = {
  runtime: "'kubernetes'",
  cliVersion: 'undefined, as on a remote engine',
  clearLeftovers: 'the local copy of the outbox',
  warm: 'nothing: no process of this machine serves the run',
  start: 'create the run Secret and Job; stream the workspace archive into its init container over pods/exec',
  find: 'list Jobs by the workspace and run labels; else outbox/exit-code',
  observe: "the pod's state (terminated.exitCode); outbox/ back over pods/exec while running, outbox/ and repo/ once ended",
  settle: 'a watch on the Job\'s pod, bounded by the wait',
  stop: 'delete the Job, propagationPolicy Foreground, gracePeriodSeconds = grace',
  remove: 'delete the Job if it is still there',
  agents: 'list Jobs labelled dev.agentctl.run (and this home)',
  outbox: 'localOutbox over the copy observe refreshes',
  collectWork: 'fetch from the copy of repo/ into the host-owned repository',
  qaSandbox: 'a second Job, same image; workspace in and outbox back the same way',
  release: 'delete the Job, its pod and its Secret',
};

describe('a Kubernetes engine behind the run port', () => {
  it('the design maps every port operation, and only those', () => {
    const design = readFileSync('docs/design/kubernetes.md', 'utf8');
    const table = design.slice(design.indexOf('## The run port, operation by operation'));
    const rows = [...table.matchAll(/^\| `([a-z]\w*)` \|/gm)].map((match) => match[1]);
    expect(rows.sort()).toEqual(Object.keys(KUBERNETES).sort());
  });
});
