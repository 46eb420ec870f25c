/**
 * The server plumbing the fake HTTP APIs in test/support share: a node:http
 * server on 127.0.0.1 (free port) whose close() also drops open sockets,
 * bounded request-body reading, JSON and server-sent-event answers, request
 * records, and the failNext/hangNext knobs of the forge fakes.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Request bodies larger than this are refused (the handler fails). */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface FakeServer {
  server: Server;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  /** Stops listening and destroys every open connection, answered or not. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** What to do when the handler throws or rejects; by default the connection is destroyed. */
  onError?: (res: ServerResponse, error: unknown) => void;
}

/** Starts `handler` on a free port of 127.0.0.1. */
export async function startServer(handler: Handler, options: StartOptions = {}): Promise<FakeServer> {
  const onError = options.onError ?? ((res: ServerResponse, error: unknown) => res.destroy(error as Error));
  const server = createServer((req, res) => {
    void (async () => handler(req, res))().catch((error: unknown) => onError(res, error));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    port,
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** The whole request body as UTF-8 text; rejects beyond `limit` bytes. */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        reject(new Error(`request body over ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The parsed JSON, or undefined when the text is empty or not JSON. */
export function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The request body parsed as JSON; the raw text when it is not JSON; undefined when empty. */
export async function readJsonOrText(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  const text = await readBody(req, limit);
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The request path without its query. */
export function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0] as string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
}

/** Reads the request and returns it as a record (path without query, body as text and as JSON). */
export async function recordRequest(req: IncomingMessage): Promise<RecordedRequest> {
  const body = await readBody(req);
  return { method: req.method ?? 'GET', path: pathOf(req), headers: req.headers, body, json: parseJson(body) };
}

/** A JSON body as an object ({} when it is not one). */
export function asObject(json: unknown): Record<string, unknown> {
  return (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Starts a server-sent-event stream (200, text/event-stream, no-cache). */
export function startSse(res: ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
}

/** Writes one server-sent event: `event:` (when given) and `data:` as JSON, lines ended by `eol`. */
export function writeSse(res: ServerResponse, data: unknown, event?: string, eol = '\n'): void {
  res.write(`${event === undefined ? '' : `event: ${event}${eol}`}data: ${JSON.stringify(data)}${eol}${eol}`);
}

/** Writes one server-sent event named after its data's `type` (Anthropic and OpenAI style). */
export function writeTypedSse(res: ServerResponse, data: { type: string } & Record<string, unknown>): void {
  writeSse(res, data, data.type);
}

/**
 * A model-API fake's server: records every request in `requests`; `answer`
 * returns false for requests it does not serve, which are listed in
 * `unknown` ("METHOD /path") and answered 404 with `notFound(method, path)`.
 */
export interface RecordingServer extends FakeServer {
  requests: RecordedRequest[];
  unknown: string[];
}

export async function startRecordingServer(
  answer: (request: RecordedRequest, res: ServerResponse) => boolean,
  notFound: (method: string, path: string) => unknown,
): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const unknown: string[] = [];
  const fake = await startServer(async (req, res) => {
    const request = await recordRequest(req);
    requests.push(request);
    if (answer(request, res)) return;
    unknown.push(`${request.method} ${request.path}`);
    sendJson(res, 404, notFound(request.method, request.path));
  });
  // A model fake's close() never fails, even when called twice.
  return { ...fake, requests, unknown, close: () => fake.close().catch(() => undefined) };
}

export interface ModelFakeOptions {
  /** The assistant's reply text. */
  reply?: string;
  inputTokens?: number;
  outputTokens?: number;
}

/** What every model-API fake offers. */
export interface ModelFake {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  reply: string;
  inputTokens: number;
  outputTokens: number;
  requests: RecordedRequest[];
  /** "METHOD /path" of requests the fake does not know. */
  unknown: string[];
  close(): Promise<void>;
}

export function modelFake(fake: RecordingServer, reply: string, inputTokens: number, outputTokens: number): ModelFake {
  const { url, port, requests, unknown, close } = fake;
  return { url, port, reply, inputTokens, outputTokens, requests, unknown, close };
}

/** A forge fake's request log entry. */
export interface LoggedRequest {
  method: string;
  /** Path and query as sent. */
  path: string;
  body: unknown;
  authorization: string | undefined;
}

/** Whether the request carries `token <token>` or `Bearer <token>`. */
export function hasToken(req: IncomingMessage, token: string): boolean {
  const auth = req.headers.authorization;
  return auth === `token ${token}` || auth === `Bearer ${token}`;
}

/** A reply body as sent: '' for none, strings as they are, anything else as JSON. */
export function payloadOf(body: unknown): string {
  return body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
}

/** The failNext/hangNext knobs of a fake: queued failures and a count of requests to leave unanswered. */
export interface Faults<F> {
  failNext(failure: F, count?: number): void;
  /** The next `count` requests are read and never answered. */
  hangNext(count?: number): void;
  /** Takes one pending hang: true when this request must not be answered. */
  takeHang(): boolean;
  /** Takes the next queued failure, if any. */
  takeFailure(): F | undefined;
}

export function faults<F>(): Faults<F> {
  const failures: F[] = [];
  let hangs = 0;
  return {
    failNext(failure, count = 1) {
      for (let i = 0; i < count; i++) failures.push(failure);
    },
    hangNext(count = 1) {
      hangs += count;
    },
    takeHang() {
      if (hangs === 0) return false;
      hangs--;
      return true;
    },
    takeFailure: () => failures.shift(),
  };
}

/**
 * A forge fake's server: reads the body (JSON, text or undefined), logs the
 * request, applies the hang/fail knobs (a hung request is never answered;
 * close() drops it), then calls `handle`. A throwing handler answers 500.
 */
export async function startForgeServer<F>(
  requests: LoggedRequest[],
  knobs: Faults<F>,
  fail: (res: ServerResponse, failure: F) => void,
  handle: (req: IncomingMessage, res: ServerResponse, url: URL, body: unknown) => void,
): Promise<FakeServer> {
  let base = 'http://127.0.0.1';
  const fake = await startServer(
    async (req, res) => {
      const body = await readJsonOrText(req);
      const url = new URL(req.url ?? '/', base);
      requests.push({ method: req.method ?? 'GET', path: `${url.pathname}${url.search}`, body, authorization: req.headers.authorization });
      if (knobs.takeHang()) return;
      const failure = knobs.takeFailure();
      if (failure !== undefined) return fail(res, failure);
      handle(req, res, url, body);
    },
    { onError: (res, error) => res.writeHead(500).end(String(error)) },
  );
  base = fake.url;
  return fake;
}
