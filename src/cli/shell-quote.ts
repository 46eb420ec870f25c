/** Quote one argument for a POSIX shell, only when it needs it. */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** A readable command line; the prompt argument is shown as a read of the saved prompt file. */
export function displayCommand(argv: readonly string[], prompt: string, promptPath: string): string {
  return argv.map((arg) => (arg === prompt && prompt !== '' ? `"$(cat ${shellQuote(promptPath)})"` : shellQuote(arg))).join(' ');
}
