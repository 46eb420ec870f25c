import { describe, expect, it } from 'vitest';
import { QUESTION_MARKER } from '../../src/core/forge/forge-plan.js';
import { answerFromForge } from '../../src/forge/forge-answer.js';
import { FakeForge } from '../fakes/fake-forge.js';

const repo = { owner: 'acme', repo: 'web' };
const at = (i: number) => new Date(Date.UTC(2026, 11, 7, 10, 0, i)).toISOString();

describe('answerFromForge', () => {
  it("finds the operator's reply behind a flood of a stranger's comments after the question", async () => {
    const forge = new FakeForge();
    const comments = [{ id: 1, author: forge.login, body: `The agent asks: which colour?\n${QUESTION_MARKER}`, createdAt: at(0) }];
    for (let i = 0; i < 150; i++) comments.push({ id: 10 + i, author: 'spammer', body: `noise ${i}`, createdAt: at(1) });
    comments.push({ id: 999, author: forge.login, body: 'Blue.\n', createdAt: at(2) });
    forge.issues('acme/web').push({ number: 42, labels: [], comments });
    expect(await answerFromForge(forge, repo, 42)).toEqual({ text: 'Blue.', author: forge.login, ignored: [] });
  });

  it('says there is no answer yet when nobody replied after the question', async () => {
    const forge = new FakeForge();
    forge.issues('acme/web').push({ number: 7, labels: [], comments: [{ id: 1, author: forge.login, body: `Which colour?\n${QUESTION_MARKER}`, createdAt: at(0) }] });
    await expect(answerFromForge(forge, repo, 7)).rejects.toMatchObject({ code: 'no_answer_yet' });
  });
});
