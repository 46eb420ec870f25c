import type { IncomingMessage, ServerResponse } from 'node:http';
import { asObject, modelFake, pathOf, sendJson, startRecordingServer, startSse, writeSse, writeTypedSse as sse, type ModelFake, type ModelFakeOptions, type RecordedRequest } from './fake-http.js';

export type { RecordedRequest } from './fake-http.js';

/**
 * A stand-in for the OpenAI Responses API, and for the few Ollama endpoints
 * `codex --oss --local-provider ollama` checks, on 127.0.0.1. For running the
 * real `codex` CLI: `-c openai_base_url="<url>/v1"` (codex ignores
 * OPENAI_BASE_URL) or `CODEX_OSS_BASE_URL=<url>/v1`.
 *
 * - `POST /v1/responses` (and `/responses` under any prefix): one assistant
 *   message, streamed as server-sent events (response.created,
 *   response.output_item.added, response.output_text.delta,
 *   response.output_item.done, response.completed with usage).
 * - `POST /v1/chat/completions`: the same reply as a chat completion stream.
 * - `GET /v1/models`, `/api/version` (0.13.5), `/api/tags`, `/api/show`.
 * - A WebSocket upgrade on /v1/responses is refused, so codex falls back to HTTP.
 *
 * Every request is recorded; unknown paths are listed in `unknown` and answered 404.
 */
export interface FakeOpenAiOptions extends ModelFakeOptions {
  /** Model names /api/tags and /v1/models list. */
  models?: string[];
  ollamaVersion?: string;
}

export interface FakeOpenAi extends ModelFake {
  /** e.g. http://127.0.0.1:41234 (no /v1). */
  url: string;
  /** The recorded model calls: POST .../responses or .../chat/completions. */
  modelCalls(): RecordedRequest[];
  /** While on, every model call is answered as OpenAI does over a rate limit: 429, rate_limit_exceeded. */
  rateLimit(on: boolean): void;
}

let nextId = 1;

export async function startFakeOpenAi(options: FakeOpenAiOptions = {}): Promise<FakeOpenAi> {
  const reply = options.reply ?? 'Hello from the fake OpenAI API.';
  const inputTokens = options.inputTokens ?? 23;
  const outputTokens = options.outputTokens ?? 7;
  const models = options.models ?? [];

  function usage() {
    return {
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + outputTokens,
    };
  }

  function answerResponses(res: ServerResponse, request: Record<string, unknown>): void {
    const responseId = `resp_fake_${nextId++}`;
    const itemId = `msg_fake_${nextId++}`;
    const model = typeof request.model === 'string' ? request.model : 'fake-model';
    const base = { id: responseId, object: 'response', created_at: Math.floor(Date.now() / 1000), model, output: [] as unknown[] };
    const item = { id: itemId, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: reply, annotations: [] }] };
    startSse(res);
    sse(res, { type: 'response.created', response: { ...base, status: 'in_progress' } });
    sse(res, { type: 'response.output_item.added', output_index: 0, item: { ...item, status: 'in_progress', content: [] } });
    sse(res, { type: 'response.output_text.delta', item_id: itemId, output_index: 0, content_index: 0, delta: reply });
    sse(res, { type: 'response.output_item.done', output_index: 0, item });
    sse(res, { type: 'response.completed', response: { ...base, status: 'completed', output: [item], usage: usage() } });
    res.end();
  }

  function answerChat(res: ServerResponse, request: Record<string, unknown>): void {
    const id = `chatcmpl_fake_${nextId++}`;
    const model = typeof request.model === 'string' ? request.model : 'fake-model';
    const chunk = (delta: unknown, finish: string | null, extra: Record<string, unknown> = {}) =>
      ({ id, object: 'chat.completion.chunk', created: Math.floor(Date.now() / 1000), model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra });
    startSse(res);
    writeSse(res, chunk({ role: 'assistant', content: reply }, null));
    writeSse(res, chunk({}, 'stop', { usage: { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens } }));
    res.end('data: [DONE]\n\n');
  }

  let limited = false;
  const fake = await startRecordingServer(
    ({ method, path, json }, res) => {
      const request = asObject(json);
      if (limited && method === 'POST' && (path.endsWith('/responses') || path.endsWith('/chat/completions'))) {
        const message = 'Rate limit reached for gpt-5 in organization org-fake on tokens per min (TPM): Limit 30000, Used 30000, Requested 100. Please try again in 2.5s.';
        sendJson(res, 429, { error: { message, type: 'tokens', param: null, code: 'rate_limit_exceeded' } }, { 'retry-after': '3' });
      } else if (method === 'POST' && path.endsWith('/responses')) {
        answerResponses(res, request);
      } else if (method === 'POST' && path.endsWith('/chat/completions')) {
        answerChat(res, request);
      } else if (method === 'GET' && path.endsWith('/responses')) {
        // A WebSocket upgrade attempt that did not reach the 'upgrade' handler.
        sendJson(res, 426, { error: { message: 'the fake speaks HTTP only' } });
      } else if (method === 'GET' && path.endsWith('/models')) {
        sendJson(res, 200, { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'fake' })) });
      } else if (path.endsWith('/api/version')) {
        sendJson(res, 200, { version: options.ollamaVersion ?? '0.13.5' });
      } else if (path.endsWith('/api/tags')) {
        sendJson(res, 200, {
          models: models.map((name) => ({ name, model: name, modified_at: '2026-01-01T00:00:00Z', size: 1, digest: 'fake', details: {} })),
        });
      } else if (method === 'POST' && path.endsWith('/api/show')) {
        sendJson(res, 200, { modelfile: '', parameters: '', template: '', details: {}, model_info: {}, capabilities: ['completion', 'tools'] });
      } else {
        return false;
      }
      return true;
    },
    (method, path) => ({ error: { message: `the fake does not serve ${method} ${path}`, type: 'not_found' } }),
  );
  const { requests } = fake;
  // Refuse WebSocket upgrades outright: codex then uses plain HTTP.
  fake.server.on('upgrade', (req: IncomingMessage, socket) => {
    requests.push({ method: 'UPGRADE', path: pathOf(req), headers: req.headers, body: '', json: undefined });
    socket.end('HTTP/1.1 426 Upgrade Required\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
  });
  return {
    ...modelFake(fake, reply, inputTokens, outputTokens),
    modelCalls: () => requests.filter((r) => r.method === 'POST' && (r.path.endsWith('/responses') || r.path.endsWith('/chat/completions'))),
    rateLimit: (on) => {
      limited = on;
    },
  };

}
