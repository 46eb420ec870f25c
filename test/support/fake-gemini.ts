import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the Gemini API (generativelanguage) on 127.0.0.1, for running
 * the real `gemini` CLI with GOOGLE_GEMINI_BASE_URL=fake.url (plus
 * $HOME/.gemini/settings.json selecting "gemini-api-key" auth).
 *
 * - `POST /<version>/models/<model>:streamGenerateContent` (alt=sse): one
 *   text reply as server-sent events, with usageMetadata and finishReason STOP.
 * - `POST .../models/<model>:generateContent`: the same reply as one JSON
 *   object (gemini's own helper calls, e.g. routing or next-speaker checks,
 *   use it and expect JSON text; they get `{}`-ish JSON when asked for it).
 * - `POST .../models/<model>:countTokens`, `GET .../models`.
 *
 * Every request is recorded; unknown paths are listed in `unknown` and answered 404.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
}

export interface FakeGeminiOptions {
  reply?: string;
  inputTokens?: number;
  outputTokens?: number;
}

export interface FakeGemini {
  url: string;
  port: number;
  reply: string;
  inputTokens: number;
  outputTokens: number;
  requests: RecordedRequest[];
  /** The recorded streamed model calls (the conversation turns). */
  turns(): RecordedRequest[];
  unknown: string[];
  close(): Promise<void>;
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

/** A JSON-mode helper call (responseMimeType application/json) wants JSON text back. */
function wantsJson(request: unknown): boolean {
  const config = (request as { generationConfig?: { responseMimeType?: unknown }; config?: { responseMimeType?: unknown } } | undefined) ?? {};
  return config.generationConfig?.responseMimeType === 'application/json' || config.config?.responseMimeType === 'application/json';
}

export async function startFakeGemini(options: FakeGeminiOptions = {}): Promise<FakeGemini> {
  const reply = options.reply ?? 'Hello from the fake Gemini API.';
  const inputTokens = options.inputTokens ?? 31;
  const outputTokens = options.outputTokens ?? 5;
  const requests: RecordedRequest[] = [];
  const unknown: string[] = [];

  const usageMetadata = { promptTokenCount: inputTokens, candidatesTokenCount: outputTokens, totalTokenCount: inputTokens + outputTokens };
  const candidate = (text: string) => ({ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 });

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const path = (req.url ?? '/').split('?')[0] as string;
      const method = req.method ?? 'GET';
      const json = parseJson(body);
      requests.push({ method, path, headers: req.headers, body, json });
      if (method === 'POST' && path.endsWith(':streamGenerateContent')) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        const half = Math.ceil(reply.length / 2);
        res.write(`data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: reply.slice(0, half) }] }, index: 0 }] })}\r\n\r\n`);
        res.write(`data: ${JSON.stringify({ candidates: [candidate(reply.slice(half))], usageMetadata, modelVersion: 'fake' })}\r\n\r\n`);
        res.end();
      } else if (method === 'POST' && path.endsWith(':generateContent')) {
        // Helper calls in JSON mode (e.g. "who speaks next") get a JSON answer that ends the turn.
        const text = wantsJson(json) ? JSON.stringify({ reasoning: 'done', next_speaker: 'user', model_choice: 'flash' }) : reply;
        sendJson(res, 200, { candidates: [candidate(text)], usageMetadata, modelVersion: 'fake' });
      } else if (method === 'POST' && path.endsWith(':countTokens')) {
        sendJson(res, 200, { totalTokens: inputTokens });
      } else if (method === 'GET' && /\/models\/?$/.test(path)) {
        sendJson(res, 200, { models: [] });
      } else {
        unknown.push(`${method} ${path}`);
        sendJson(res, 404, { error: { code: 404, message: `the fake does not serve ${method} ${path}`, status: 'NOT_FOUND' } });
      }
    })().catch((error: unknown) => res.destroy(error as Error));
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
    turns: () => requests.filter((r) => r.method === 'POST' && r.path.endsWith(':streamGenerateContent')),
    unknown,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
