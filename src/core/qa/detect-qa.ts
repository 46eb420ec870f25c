export interface QaPlan {
  /** Shell commands run in order in the repo; the first failure stops QA. */
  commands: string[];
  /** Where the commands came from: a config setting or a detected build file. */
  source: string;
}

export interface QaDetectInput {
  /** Files at the repo root. */
  files: ReadonlySet<string>;
  repoOverride?: string[] | undefined;
  globalOverride?: string[] | undefined;
}

/** QA commands for a repo: config overrides first, else detected from its build files. */
export function detectQa(input: QaDetectInput): QaPlan | undefined {
  if (input.repoOverride !== undefined) return { commands: input.repoOverride, source: 'config (repos.<repo>.qa)' };
  if (input.globalOverride !== undefined) return { commands: input.globalOverride, source: 'config (qa.commands)' };
  if (input.files.has('go.mod')) return { commands: ['go build ./...', 'go vet ./...', 'go test ./... -count=1'], source: 'go.mod' };
  if (input.files.has('composer.json')) return { commands: ['composer install --no-interaction', 'composer test'], source: 'composer.json' };
  if (input.files.has('package.json')) {
    const install = input.files.has('package-lock.json') || input.files.has('npm-shrinkwrap.json') ? 'npm ci' : 'npm install --no-audit --no-fund';
    return { commands: [install, 'npm test'], source: 'package.json' };
  }
  return undefined;
}
