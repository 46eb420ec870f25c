import { describe, expect, it } from 'vitest';
import { detectQa, type QaDetectInput, type QaPlan } from '../../../src/core/qa/detect-qa.js';

const GO: QaPlan = { commands: ['go build ./...', 'go vet ./...', 'go test ./... -count=1'], source: 'go.mod' };
const COMPOSER: QaPlan = { commands: ['composer install --no-interaction', 'composer test'], source: 'composer.json' };
const NPM_CI: QaPlan = { commands: ['npm ci', 'npm test'], source: 'package.json' };
const NPM_INSTALL: QaPlan = { commands: ['npm install --no-audit --no-fund', 'npm test'], source: 'package.json' };

const input = (files: string[], overrides: Omit<QaDetectInput, 'files'> = {}): QaDetectInput => ({ files: new Set(files), ...overrides });

describe('detectQa', () => {
  it.each<[string, QaDetectInput, QaPlan | undefined]>([
    [
      'repo override beats global and build files',
      input(['go.mod', 'package.json'], { repoOverride: ['make check'], globalOverride: ['make test'] }),
      { commands: ['make check'], source: 'config (repos.<repo>.qa)' },
    ],
    [
      'an empty repo override still wins (QA with no commands)',
      input(['go.mod'], { repoOverride: [], globalOverride: ['make test'] }),
      { commands: [], source: 'config (repos.<repo>.qa)' },
    ],
    [
      'global override beats build files',
      input(['go.mod', 'composer.json', 'package.json'], { globalOverride: ['make test', 'make lint'] }),
      { commands: ['make test', 'make lint'], source: 'config (qa.commands)' },
    ],
    ['go.mod beats composer.json and package.json', input(['package.json', 'composer.json', 'go.mod']), GO],
    ['composer.json beats package.json', input(['package.json', 'package-lock.json', 'composer.json']), COMPOSER],
    ['package.json with package-lock.json: npm ci', input(['package.json', 'package-lock.json']), NPM_CI],
    ['package.json with npm-shrinkwrap.json: npm ci', input(['package.json', 'npm-shrinkwrap.json']), NPM_CI],
    ['package.json without a lockfile: npm install', input(['package.json', 'README.md']), NPM_INSTALL],
    ['package.json with only a yarn.lock: npm install', input(['package.json', 'yarn.lock']), NPM_INSTALL],
    ['a lockfile alone is not a node project', input(['package-lock.json']), undefined],
    ['no build files', input(['README.md', 'Makefile']), undefined],
    ['empty repo', input([]), undefined],
  ])('%s', (_name, given, expected) => {
    expect(detectQa(given)).toEqual(expected);
  });
});
