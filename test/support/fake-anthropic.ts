import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the Anthropic Messages API on 127.0.0.1, for running the
 * real `claude` CLI (ANTHROPIC_BASE_URL=fake.url). `POST /v1/messages`
 * answers with one text reply, streamed as server-sent events in the real
 * format (message_start with usage, content_block_start / content_block_delta
 * / content_block_stop, message_delta with stop_reason and output usage,
 * message_stop), or as one JSON message when the request is not streamed.
 * Every request is recorded; paths we do not know are listed in `unknown`
 * and answered 404.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
}

export interface FakeAnthropicOptions {
  /** The assistant's reply text. */
  reply?: string;
  inputTokens?: number;
  outputTokens?: number;
  model?: string;
}

export interface FakeAnthropic {
  /** e.g. http://127.0.0.1:41234, for ANTHROPIC_BASE_URL. */
  url: string;
  port: number;
  reply: string;
  inputTokens: number;
  outputTokens: number;
  requests: RecordedRequest[];
  /** The recorded POST /v1/messages requests. */
  messages(): RecordedRequest[];
  /** "METHOD /path" of requests the fake does not know. */
  unknown: string[];
  close(): Promise<void>;
}

let nextId = 1;

function sse(res: ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const reply = options.reply ?? 'Hello from the fake Anthropic API.';
  const inputTokens = options.inputTokens ?? 17;
  const outputTokens = options.outputTokens ?? 9;
  const requests: RecordedRequest[] = [];
  const unknown: string[] = [];

  function answerMessage(res: ServerResponse, request: Record<string, unknown>): void {
    const id = `msg_fake_${nextId++}`;
    const model = typeof request.model === 'string' ? request.model : (options.model ?? 'claude-sonnet-fake');
    const usageIn = { input_tokens: inputTokens, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
    if (request.stream !== true) {
      sendJson(res, 200, {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'text', text: reply }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { ...usageIn, output_tokens: outputTokens },
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    sse(res, 'message_start', {
      type: 'message_start',
      message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: usageIn },
    });
    sse(res, 'content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    sse(res, 'ping', { type: 'ping' });
    // Two deltas, so the client really has to assemble the text.
    const half = Math.ceil(reply.length / 2);
    for (const part of [reply.slice(0, half), reply.slice(half)]) {
      sse(res, 'content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: part } });
    }
    sse(res, 'content_block_stop', { type: 'content_block_stop', index: 0 });
    sse(res, 'message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: outputTokens } });
    sse(res, 'message_stop', { type: 'message_stop' });
    res.end();
  }

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const path = (req.url ?? '/').split('?')[0] as string;
      const method = req.method ?? 'GET';
      const json = parseJson(body);
      requests.push({ method, path, headers: req.headers, body, json });
      if (method === 'POST' && path === '/v1/messages') {
        answerMessage(res, (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>);
      } else if (method === 'POST' && path === '/v1/messages/count_tokens') {
        sendJson(res, 200, { input_tokens: inputTokens });
      } else if (method === 'HEAD' || (method === 'GET' && path === '/')) {
        res.writeHead(200).end();
      } else {
        unknown.push(`${method} ${path}`);
        sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: `the fake does not serve ${method} ${path}` } });
      }
    })().catch((error: unknown) => {
      res.destroy(error as Error);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    reply,
    inputTokens,
    outputTokens,
    requests,
    messages: () => requests.filter((r) => r.method === 'POST' && r.path === '/v1/messages'),
    unknown,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
