/** Properties of the answer classifier over arbitrary answer sequences (test/helpers/mim-answers.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arbAnswerSequence,
  arbResponse,
  arbServerAnswer,
  arbSuccessPolicy,
  mayHaveApplied,
} from '../../../test/helpers/mim-answers.js';
import { describeAnswer, looksLikeApiAnswer, outcomeOf } from './outcome.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);

describe('outcomeOf', () => {
  it('never says "not applied" once an attempt may have been applied, whatever came after', () => {
    fc.assert(
      fc.property(arbAnswerSequence, arbSuccessPolicy, (answers, policy) => {
        const outcome = outcomeOf(answers, policy);
        if (answers.some(mayHaveApplied) && outcome !== 'applied') expect(outcome).toBe('unknown');
      }),
      { numRuns: RUNS },
    );
  });

  it('says "applied" only when the last answer is a 2xx that looks like the API', () => {
    fc.assert(
      fc.property(arbAnswerSequence, arbSuccessPolicy, (answers, policy) => {
        const last = answers.at(-1);
        const confirmed =
          last?.kind === 'response' &&
          last.status >= 200 &&
          last.status < 300 &&
          looksLikeApiAnswer(last, policy);
        expect(outcomeOf(answers, policy) === 'applied').toBe(confirmed);
      }),
      { numRuns: RUNS },
    );
  });

  it('never takes an HTML answer as applied unless told any-2xx', () => {
    fc.assert(
      fc.property(arbResponse, fc.constantFrom('not-html' as const, 'json' as const), (a, policy) => {
        if (a.kind !== 'response') return;
        const html =
          /^\s*(text\/html|application\/xhtml\+xml)\b/i.test(a.contentType) ||
          a.body
            .replace(/^\uFEFF/, '')
            .trimStart()
            .startsWith('<') ||
          /<html[\s>]/i.test(a.body);
        if (html) expect(outcomeOf([a], policy)).not.toBe('applied');
      }),
      { numRuns: RUNS },
    );
  });
});

describe('describeAnswer', () => {
  it('never repeats the token, a redirect query string, or more than ~200 characters of body', () => {
    const token = 'tok-7f3a9c';
    fc.assert(
      fc.property(arbServerAnswer, fc.string({ maxLength: 40 }), (a, pad) => {
        const answer =
          a.kind === 'response'
            ? {
                ...a,
                body: `${pad}${token}${a.body}`,
                location: a.location ? `${a.location}&t=${token}` : '',
              }
            : a;
        const text = describeAnswer(answer, [token]);
        expect(text).not.toContain(token);
        expect(text.length).toBeLessThan(320);
        if (answer.kind === 'response' && answer.status >= 300 && answer.status < 400)
          expect(text).not.toContain('?');
      }),
      { numRuns: RUNS },
    );
  });
});
