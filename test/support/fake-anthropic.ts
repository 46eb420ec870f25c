import type { ServerResponse } from 'node:http';
import { asObject, modelFake, sendJson, startRecordingServer, startSse, writeTypedSse, type ModelFake, type ModelFakeOptions, type RecordedRequest } from './fake-http.js';

export type { RecordedRequest } from './fake-http.js';

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
export interface FakeAnthropicOptions extends ModelFakeOptions {
  model?: string;
}

export interface FakeAnthropic extends ModelFake {
  /** e.g. http://127.0.0.1:41234, for ANTHROPIC_BASE_URL. */
  url: string;
  /** Answer the next `count` messages as the API does over its rate limit: 429, rate_limit_error, retry-after. */
  limitNext(count: number): void;
  /** The recorded POST /v1/messages requests. */
  messages(): RecordedRequest[];
}

let nextId = 1;

export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const reply = options.reply ?? 'Hello from the fake Anthropic API.';
  const inputTokens = options.inputTokens ?? 17;
  const outputTokens = options.outputTokens ?? 9;

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
    startSse(res, { connection: 'keep-alive' });
    writeTypedSse(res, {
      type: 'message_start',
      message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: usageIn },
    });
    writeTypedSse(res, { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    writeTypedSse(res, { type: 'ping' });
    // Two deltas, so the client really has to assemble the text.
    const half = Math.ceil(reply.length / 2);
    for (const part of [reply.slice(0, half), reply.slice(half)]) {
      writeTypedSse(res, { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: part } });
    }
    writeTypedSse(res, { type: 'content_block_stop', index: 0 });
    writeTypedSse(res, { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: outputTokens } });
    writeTypedSse(res, { type: 'message_stop' });
    res.end();
  }

  let limited = 0;
  const fake = await startRecordingServer(
    ({ method, path, json }, res) => {
      if (method === 'POST' && path === '/v1/messages' && limited > 0) {
        limited -= 1;
        sendJson(
          res,
          429,
          { type: 'error', error: { type: 'rate_limit_error', message: 'This request would exceed the rate limit for your organization of 50 requests per minute.' } },
          { 'retry-after': '30', 'request-id': `req_fake_${nextId++}` },
        );
      } else if (method === 'POST' && path === '/v1/messages') {
        answerMessage(res, asObject(json));
      } else if (method === 'POST' && path === '/v1/messages/count_tokens') {
        sendJson(res, 200, { input_tokens: inputTokens });
      } else if (method === 'HEAD' || (method === 'GET' && path === '/')) {
        res.writeHead(200).end();
      } else {
        return false;
      }
      return true;
    },
    (method, path) => ({ type: 'error', error: { type: 'not_found_error', message: `the fake does not serve ${method} ${path}` } }),
  );
  const { requests } = fake;
  return {
    ...modelFake(fake, reply, inputTokens, outputTokens),
    messages: () => requests.filter((r) => r.method === 'POST' && r.path === '/v1/messages'),
    limitNext: (count) => {
      limited = count;
    },
  };

}
