import { serveCourier, type CourierConfig } from './swarm-courier.js';

/**
 * The courier's process (dist/swarm-courier.js): its config, token
 * included, comes on stdin (never argv, never a file), and its port goes
 * out as the one line on stdout; after that it writes only to its log.
 */
const chunks: Buffer[] = [];
for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
const config = JSON.parse(Buffer.concat(chunks).toString('utf8')) as CourierConfig;
const port = await serveCourier(config, () => process.exit(0));
process.stdout.write(`${port}\n`);
