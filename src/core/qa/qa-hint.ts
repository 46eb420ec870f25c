/** The shell's exit codes for a command it could not find or could not execute. */
const NOT_FOUND = 127;
const NOT_EXECUTABLE = 126;

/** The program a QA command runs first: its first word after any VAR=value assignments. */
export function programOf(command: string): string | undefined {
  return command
    .trim()
    .split(/\s+/)
    .find((word) => word !== '' && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word));
}

/**
 * What to do about a failed QA command whose exit code says the shell could
 * not run a program: QA runs in the agent's image, so the tool belongs there.
 */
export function qaExitHint(failedCommand: string | undefined, exitCode: number, image: string): string | undefined {
  if (exitCode !== NOT_FOUND && exitCode !== NOT_EXECUTABLE) return undefined;
  const program = failedCommand === undefined ? undefined : programOf(failedCommand);
  const what = program === undefined ? 'the program QA runs' : program;
  if (exitCode === NOT_EXECUTABLE) return `${what} is not executable in the image ${image}; fix its permissions, or set repos.<org/name>.qa to other commands`;
  return `exit code 127 is "command not found": install ${what} (or a tool it runs) in the image ${image}, or set repos.<org/name>.qa to commands the image has`;
}
