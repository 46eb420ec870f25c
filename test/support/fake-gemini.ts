import { modelFake, sendJson, startRecordingServer, startSse, writeSse, type ModelFake, type ModelFakeOptions, type RecordedRequest } from './fake-http.js';

export type { RecordedRequest } from './fake-http.js';

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
export type FakeGeminiOptions = ModelFakeOptions;

export interface FakeGemini extends ModelFake {
  /** The recorded streamed model calls (the conversation turns). */
  turns(): RecordedRequest[];
  /** While on, every model call is answered as the Gemini API does for a used-up daily quota: 429, RESOURCE_EXHAUSTED. */
  quotaExhausted(on: boolean): void;
}

const DAILY_QUOTA_ERROR = {
  error: {
    code: 429,
    message: 'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.',
    status: 'RESOURCE_EXHAUSTED',
    details: [
      {
        '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
        violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier' }],
      },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' },
    ],
  },
};

/** A JSON-mode helper call (responseMimeType application/json) wants JSON text back. */
function wantsJson(request: unknown): boolean {
  const config = (request as { generationConfig?: { responseMimeType?: unknown }; config?: { responseMimeType?: unknown } } | undefined) ?? {};
  return config.generationConfig?.responseMimeType === 'application/json' || config.config?.responseMimeType === 'application/json';
}

export async function startFakeGemini(options: FakeGeminiOptions = {}): Promise<FakeGemini> {
  const reply = options.reply ?? 'Hello from the fake Gemini API.';
  const inputTokens = options.inputTokens ?? 31;
  const outputTokens = options.outputTokens ?? 5;

  const usageMetadata = { promptTokenCount: inputTokens, candidatesTokenCount: outputTokens, totalTokenCount: inputTokens + outputTokens };
  const candidate = (text: string) => ({ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 });

  let exhausted = false;
  const fake = await startRecordingServer(
    ({ method, path, json }, res) => {
      if (exhausted && method === 'POST' && /:(?:stream)?[gG]enerateContent$/.test(path)) {
        sendJson(res, 429, DAILY_QUOTA_ERROR);
      } else if (method === 'POST' && path.endsWith(':streamGenerateContent')) {
        startSse(res);
        const half = Math.ceil(reply.length / 2);
        writeSse(res, { candidates: [{ content: { role: 'model', parts: [{ text: reply.slice(0, half) }] }, index: 0 }] }, undefined, '\r\n');
        writeSse(res, { candidates: [candidate(reply.slice(half))], usageMetadata, modelVersion: 'fake' }, undefined, '\r\n');
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
        return false;
      }
      return true;
    },
    (method, path) => ({ error: { code: 404, message: `the fake does not serve ${method} ${path}`, status: 'NOT_FOUND' } }),
  );
  const { requests } = fake;
  return {
    ...modelFake(fake, reply, inputTokens, outputTokens),
    turns: () => requests.filter((r) => r.method === 'POST' && r.path.endsWith(':streamGenerateContent')),
    quotaExhausted: (on) => {
      exhausted = on;
    },
  };

}
