import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { extractUntrustedTar, TarRefused } from '../../src/fs/untrusted-tar.js';
import { TransferDeadline } from '../../src/runtime/transfer-deadline.js';
import { makeTempDir } from '../support/git-fixtures.js';

/** A header for a log of 8 GiB, then its content, slowly: what a sparse file in the outbox streams. */
function endless(): Readable {
  const header = Buffer.alloc(512);
  header.write('outbox/agent.log', 0);
  header.write('0000644\0', 100);
  header.write('77777777777\0', 124);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\u000000', 257, 'binary');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  let sent = false;
  return new Readable({
    read() {
      setTimeout(() => {
        this.push(sent ? Buffer.alloc(64 * 1024) : header);
        sent = true;
      }, 5);
    },
  });
}

describe('a deadline on a copy from a remote engine', () => {
  it('ends a stream that runs past it with an error naming the copy and the limit, and the extraction refuses it', async () => {
    const deadline = new TransferDeadline('Docker copy from abc:/workspace/outbox at ssh://h', 0.3);
    const stream = deadline.watch(endless());
    const dest = join(makeTempDir('deadline'), 'dest');
    mkdirSync(dest);
    const started = Date.now();
    const refused = await extractUntrustedTar(stream, dest, 'outbox', { maxBytes: 1024, maxEntries: 10, keepTailOf: 1024, maxArchiveBytes: 1e12 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TarRefused);
    expect((refused as Error).message).toBe('the archive could not be read: Docker copy from abc:/workspace/outbox at ssh://h took longer than 0.3 s');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('aborts the request and destroys the stream with the reason once the time is up', async () => {
    const deadline = new TransferDeadline('Podman copy into abc:/workspace at ssh://h', 0.2);
    const stream = deadline.watch(new Readable({ read() {} }));
    const error = await new Promise<Error>((resolve) => stream.once('error', resolve));
    expect(error.message).toBe('Podman copy into abc:/workspace at ssh://h took longer than 0.2 s');
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.signal.reason).toBe(error);
  });

  it('is over once the stream closes: no late abort', async () => {
    const deadline = new TransferDeadline('copy', 0.2);
    const stream = deadline.watch(Readable.from([Buffer.from('x')]));
    for await (const _ of stream) void _;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(deadline.signal.aborted).toBe(false);
  });
});
