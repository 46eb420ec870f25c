import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { appendLog, courierLog, serveCourier, type CourierConfig } from './swarm-courier.js';

/**
 * The courier's process (dist/swarm-courier.js): its config, token
 * included, comes on stdin (never argv, never a file), and its port goes
 * out as the one line on stdout. It may be started before its run is known
 * (a spare, see swarm-launch.ts): no config at all means it was not needed.
 * Its stderr goes nowhere, since the run it will serve is not known when it
 * starts; a failure is written to the run's courier log instead.
 */
const chunks: Buffer[] = [];
for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
if (chunks.length === 0) process.exit(0);
const config = JSON.parse(Buffer.concat(chunks).toString('utf8')) as CourierConfig;
const log = courierLog(config.workspace, config.runCount);
function fail(error: unknown): never {
  try {
    mkdirSync(dirname(log), { recursive: true, mode: 0o700 });
    // Never through a link: the log is in the host-only state, and stays there whatever is found in its place.
    appendLog(log, Buffer.from(`${new Date().toISOString()} ${(error as Error).stack ?? String(error)}\n`), 0o600);
  } finally {
    process.exit(1);
  }
}
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
const port = await serveCourier(config, () => process.exit(0)).catch(fail);
process.stdout.write(`${port}\n`);
