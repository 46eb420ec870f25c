import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/core/config/schema.js';
import { agentBase, builtIdFromLine, configuredImage, parseBuildEvent, parseVersionProbe, shortId, versionProbeScript, type BuildEvent } from '../../../src/core/image/agent-image.js';
import { AppleImageBuilder, demux, parseAppleImage, readBuildStream } from '../../../src/runtime/image-builder.js';
import { Readable } from 'node:stream';

const config = (raw: unknown) => configSchema.parse(raw);

describe('configuredImage', () => {
  it.each<[string, unknown, Record<string, string>, string | undefined, string, string]>([
    ['default', {}, {}, undefined, 'localhost/agentctl-agent:latest', 'default'],
    ['AGENTCTL_IMAGE', {}, { AGENTCTL_IMAGE: 'localhost/e:1' }, undefined, 'localhost/e:1', 'AGENTCTL_IMAGE'],
    ['empty AGENTCTL_IMAGE is unset', {}, { AGENTCTL_IMAGE: '' }, undefined, 'localhost/agentctl-agent:latest', 'default'],
    ['runtime.image over AGENTCTL_IMAGE', { runtime: { image: 'r:1' } }, { AGENTCTL_IMAGE: 'e:1' }, undefined, 'r:1', 'runtime.image'],
    ['the default agent image over runtime.image', { defaults: { agent: 'codex:o3' }, agents: { codex: { image: 'c:1' } }, runtime: { image: 'r:1' } }, {}, undefined, 'c:1', 'agent'],
    ['another agent given', { agents: { gemini: { image: 'g:1' } }, runtime: { image: 'r:1' } }, {}, 'gemini:flash', 'g:1', 'agent'],
    ['an agent without an image', { agents: { gemini: { model: 'x' } } }, {}, 'gemini', 'localhost/agentctl-agent:latest', 'default'],
  ])('%s', (_name, raw, env, agent, image, source) => {
    expect(configuredImage(config(raw), env, agent)).toMatchObject({ image, source });
  });

  it('agentBase', () => {
    expect(agentBase('claude:opus')).toBe('claude');
    expect(agentBase('codex')).toBe('codex');
  });
});

describe('parseBuildEvent', () => {
  const none: BuildEvent = { text: '', error: undefined, imageId: undefined };
  it.each<[string, unknown, BuildEvent]>([
    ['a stream line', { stream: 'STEP 1/3: FROM x\n' }, { ...none, text: 'STEP 1/3: FROM x\n' }],
    ['a partial line stays partial', { stream: '+ npm install -g --no-audit' }, { ...none, text: '+ npm install -g --no-audit' }],
    ['aux id', { aux: { ID: 'sha256:ff' } }, { ...none, imageId: 'sha256:ff' }],
    ['status with progress', { status: 'Downloading', progress: '[==> ]' }, { ...none, text: 'Downloading [==> ]\n' }],
    ['an error', { error: 'exit status 1\n', errorDetail: { message: 'exit status 1' } }, { ...none, error: 'exit status 1' }],
    ['errorDetail only', { errorDetail: { message: 'boom' } }, { ...none, error: 'boom' }],
    ['not an object', 'x', none],
    ['null', null, none],
  ])('%s', (_name, event, expected) => {
    expect(parseBuildEvent(event)).toEqual(expected);
  });

  it.each<[string, string | undefined]>([
    ['Successfully built 0123456789ab', '0123456789ab'],
    ['Successfully built 0123456789ab  ', '0123456789ab'],
    ['Successfully tagged localhost/x:1', undefined],
    ['echo Successfully built 0123456789ab', undefined],
  ])('builtIdFromLine(%j)', (line, id) => {
    expect(builtIdFromLine(line)).toBe(id);
  });

  it('shortId', () => {
    expect(shortId(`sha256:${'a'.repeat(64)}`)).toBe('aaaaaaaaaaaa');
    expect(shortId('0123456789abcdef')).toBe('0123456789ab');
  });
});

describe('the version probe', () => {
  it.each<[string, string, Record<string, string | null>]>([
    ['all three', '@@agentctl-version claude 2.1.197 (Claude Code)\n@@agentctl-version codex codex-cli 0.169.0\n@@agentctl-version gemini 0.61.0\n', { claude: '2.1.197 (Claude Code)', codex: 'codex-cli 0.169.0', gemini: '0.61.0' }],
    ['a missing one', '@@agentctl-version claude \n@@agentctl-version codex x\n', { claude: null, codex: 'x', gemini: null }],
    ['noise and unknown names ignored', 'warning: foo\n@@agentctl-version other 1\n@@agentctl-version gemini 1\r\n', { claude: null, codex: null, gemini: '1' }],
    ['nothing', '', { claude: null, codex: null, gemini: null }],
  ])('parses %s', (_name, output, expected) => {
    expect(parseVersionProbe(output)).toEqual(expected);
  });

  it('the script runs in sh: first line of --version, nothing for a missing or failing CLI', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentctl-probe-'));
    try {
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      writeFileSync(join(bin, 'claude'), '#!/bin/sh\necho "2.1.197 (Claude Code)"\necho second line\n');
      writeFileSync(join(bin, 'codex'), '#!/bin/sh\necho "broken" ; exit 3\n');
      chmodSync(join(bin, 'claude'), 0o755);
      chmodSync(join(bin, 'codex'), 0o755);
      const out = execFileSync('/bin/sh', ['-c', versionProbeScript()], { env: { PATH: `${bin}:/usr/bin:/bin` }, encoding: 'utf8' });
      expect(parseVersionProbe(out)).toEqual({ claude: '2.1.197 (Claude Code)', codex: null, gemini: null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('engine output', () => {
  it('readBuildStream: whole lines from messages split anywhere, UTF-8 kept, the id and the first error', async () => {
    const body =
      [
        { stream: 'STEP 1/2: FROM x\n' },
        { stream: '+ npm install -g --no-audit' },
        { stream: ' --no-fund a@1\nadded 1 package — ok\n' },
        { stream: 'Progress 10%\rProgress 100%\r\n' },
        { stream: 'Successfully built 0123456789ab\n' },
        { error: 'first', errorDetail: { message: 'first' } },
        { error: 'second' },
      ]
        .map((m) => JSON.stringify(m))
        .join('\n') + '\nnot json\n';
    const bytes = Buffer.from(body);
    // Cut the HTTP body at awkward places: inside JSON and inside the multi-byte dash.
    const dash = bytes.indexOf(Buffer.from('—')) + 1;
    const chunks = [bytes.subarray(0, 7), bytes.subarray(7, dash), bytes.subarray(dash)];
    const lines: string[] = [];
    const result = await readBuildStream(Readable.from(chunks), (line) => lines.push(line));
    expect(lines).toEqual(['STEP 1/2: FROM x', '+ npm install -g --no-audit --no-fund a@1', 'added 1 package — ok', 'Progress 100%', 'Successfully built 0123456789ab', 'not json']);
    expect(result).toEqual({ id: '0123456789ab', failure: 'first' });
  });

  it('readBuildStream: an aux id wins over nothing; output without a final newline is flushed', async () => {
    const body = `${JSON.stringify({ stream: 'last words' })}\n${JSON.stringify({ aux: { ID: 'sha256:ab' } })}`;
    const lines: string[] = [];
    expect(await readBuildStream(Readable.from([Buffer.from(body)]), (line) => lines.push(line))).toEqual({ id: 'sha256:ab', failure: undefined });
    expect(lines).toEqual(['last words']);
  });

  it('demux: Docker log frames, and plain text as it is', () => {
    const frame = (kind: number, text: string) => {
      const body = Buffer.from(text);
      const head = Buffer.alloc(8);
      head[0] = kind;
      head.writeUInt32BE(body.length, 4);
      return Buffer.concat([head, body]);
    };
    expect(demux(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, 'more')]))).toBe('out\nerr\nmore');
    expect(demux(Buffer.from('plain text\n'))).toBe('plain text\n');
    expect(demux(Buffer.alloc(0))).toBe('');
  });

  it('the Apple build argv', () => {
    expect(
      AppleImageBuilder.buildArgv({
        contextDir: '/tmp/ctx/',
        files: ['Containerfile'],
        containerfile: 'Containerfile',
        tag: 'localhost/a:1',
        buildArgs: { BASE: 'b:1' },
        labels: { 'dev.agentctl.x': 'y' },
        hostNetwork: true,
      }),
    ).toEqual(['container', 'build', '--tag', 'localhost/a:1', '--file', '/tmp/ctx/Containerfile', '--build-arg', 'BASE=b:1', '--label', 'dev.agentctl.x=y', '/tmp/ctx/']);
  });

  it.each<[string, string, string | undefined]>([
    ['index descriptor', '[{"name":"a","index":{"digest":"sha256:1","size":3}}]', 'sha256:1'],
    ['descriptor', '[{"descriptor":{"digest":"sha256:2"}}]', 'sha256:2'],
    ['no digest', '[{}]', undefined],
    ['not JSON', 'Error: not found', undefined],
  ])('parseAppleImage: %s', (_name, output, digest) => {
    expect(parseAppleImage(output)?.digest).toBe(digest);
  });
});
