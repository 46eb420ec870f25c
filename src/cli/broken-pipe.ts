/**
 * `agentctl logs … | head`: once the reader of stdout is gone, nothing more
 * agentctl prints can reach anyone, so the command ends there, quietly and
 * with success, as Unix tools killed by SIGPIPE do. (Node ignores SIGPIPE and
 * reports EPIPE as an error event instead, which would crash with a stack
 * trace.) A reader of stderr that goes away only stops the diagnostics.
 * Everything agentctl writes to disk survives a process that ends at any
 * point (atomic writes, locks taken over from a dead holder), so ending here
 * is as safe as the Ctrl-C a user could have pressed.
 */
export function endQuietlyOnBrokenPipe(proc: NodeJS.Process): void {
  proc.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    proc.exit(0);
  });
  proc.stderr.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}
