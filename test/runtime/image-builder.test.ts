import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerodeImageBuilder, type BuildRequest } from '../../src/runtime/image-builder.js';
import { parseEngineUrl } from '../../src/runtime/engine-endpoint.js';
import { makeTempDir } from '../support/git-fixtures.js';
import { requireEngine, TEST_IMAGE, testEngines } from '../support/test-engines.js';

/** The image side of both real engines, with small Containerfiles on top of the test image (no registry needed). */
const engines = await testEngines();
const LONG = `x${'y'.repeat(3000)}z`;

describe.each(engines)('DockerodeImageBuilder on a real $name engine', (engine) => {
  if (!requireEngine(engine)) return;
  const tag = `localhost/agentctl-builder-test:${engine.name}-${process.pid}`;
  let context: string;
  let builder: DockerodeImageBuilder;

  beforeAll(async () => {
    context = makeTempDir(`builder-${engine.name}`);
    mkdirSync(join(context, 'extra'));
    writeFileSync(join(context, 'extra', 'note.txt'), 'from the context\n');
    writeFileSync(join(context, 'ignored.txt'), 'not sent\n');
    writeFileSync(
      join(context, 'Containerfile'),
      `ARG BASE=nothing\nFROM \${BASE}\nARG BASE\nCOPY extra/ /opt/extra/\nRUN echo "built on \${BASE}" && echo ${LONG} && ls /opt/extra\nUSER 1000:1000\n`,
    );
    writeFileSync(join(context, 'Broken'), `FROM ${TEST_IMAGE}\nRUN echo about to fail && exit 7\n`);
    builder = await DockerodeImageBuilder.create(engine.name, { url: engine.url, connection: parseEngineUrl(engine.url) });
  });
  afterAll(async () => {
    rmSync(context, { recursive: true, force: true });
    const { default: Docker } = await import('dockerode');
    await new Docker(parseEngineUrl(engine.url) as { socketPath: string }).getImage(tag).remove({ force: true }).catch(() => undefined);
  });

  const request = (over: Partial<BuildRequest> = {}): BuildRequest => ({
    contextDir: context,
    files: ['Containerfile', 'extra'],
    containerfile: 'Containerfile',
    tag,
    buildArgs: { BASE: TEST_IMAGE },
    labels: { 'dev.agentctl.test': 'yes' },
    hostNetwork: true,
    ...over,
  });

  it('builds with build args, labels and host networking; streams whole lines; reports the id', async () => {
    const lines: string[] = [];
    const { id } = await builder.build(request(), (line) => lines.push(line));
    expect(id).toMatch(/^(sha256:)?[0-9a-f]{12,64}$/);
    expect(lines).toContain(`built on ${TEST_IMAGE}`);
    // A 3 kB line arrives whole, however the engine cut its messages.
    expect(lines).toContain(LONG);
    expect(lines).toContain('note.txt');
    const info = await builder.inspectImage(tag);
    expect(info).toBeDefined();
    expect(info!.id.replace(/^sha256:/, '').startsWith(id!.replace(/^sha256:/, ''))).toBe(true);
    expect(info!.labels['dev.agentctl.test']).toBe('yes');
  }, 120_000);

  it('only the listed files are the context', async () => {
    const lines: string[] = [];
    writeFileSync(join(context, 'Probe'), `FROM ${TEST_IMAGE}\nCOPY . /ctx/\nRUN ls /ctx\n`);
    await builder.build(request({ containerfile: 'Probe', files: ['Probe', 'extra'], tag: `${tag}-probe` }), (line) => lines.push(line));
    expect(lines).toContain('extra');
    expect(lines).not.toContain('ignored.txt');
    const { default: Docker } = await import('dockerode');
    await new Docker(parseEngineUrl(engine.url) as { socketPath: string }).getImage(`${tag}-probe`).remove({ force: true }).catch(() => undefined);
  }, 120_000);

  it('runOnce: output of a throwaway container without network, which is removed afterwards', async () => {
    const result = await builder.runOnce(tag, ['sh', '-c', 'id -u; echo to-stderr >&2; cat /opt/extra/note.txt; exit 3'], { timeoutMs: 60_000 });
    expect(result.exitCode).toBe(3);
    expect(result.output.split('\n')).toEqual(expect.arrayContaining(['1000', 'to-stderr', 'from the context']));
    const { default: Docker } = await import('dockerode');
    const left = await new Docker(parseEngineUrl(engine.url) as { socketPath: string }).listContainers({ all: true, filters: { label: ['dev.agentctl.purpose=image-status'] } });
    expect(left).toEqual([]);
  }, 120_000);

  it('runOnce: a container that does not finish in time is killed (exit 124)', async () => {
    const result = await builder.runOnce(tag, ['sh', '-c', 'echo started; sleep 30'], { timeoutMs: 1500 });
    expect(result.exitCode).toBe(124);
    expect(result.output).toContain('started');
  }, 60_000);

  it('a failing step is image_build_failed (exit 4) after its output was shown', async () => {
    const lines: string[] = [];
    await expect(builder.build(request({ containerfile: 'Broken', files: ['Broken'], tag: `${tag}-broken` }), (line) => lines.push(line))).rejects.toMatchObject({
      code: 'image_build_failed',
      exitCode: 4,
    });
    expect(lines).toContain('about to fail');
  }, 120_000);

  it('inspectImage of a missing image is undefined', async () => {
    expect(await builder.inspectImage('localhost/agentctl-no-such-image:0')).toBeUndefined();
  });
});
