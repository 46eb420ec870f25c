import { readSync } from 'node:fs';

/** Up to `length` bytes of an open file from `position`: fewer when the file ends (or shrank) first. */
export function readAt(fd: number, length: number, position: number): Buffer {
  const buffer = Buffer.alloc(length);
  let read = 0;
  while (read < length) {
    const n = readSync(fd, buffer, read, length - read, position + read);
    if (n === 0) break;
    read += n;
  }
  return buffer.subarray(0, read);
}
