import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  blockedEvent,
  digestEvent,
  expiringEvent,
  failingEvent,
  POLICY,
  recoveredEvent,
  testEvent,
} from '../../test/helpers/notify-events.js';
import { decide, EMPTY_DEDUP, eventKey, MAX_ENTRIES, PRUNE_MS, parseDedupState, settle } from './policy.js';
import type { DedupState, NotifyEvent } from './types.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const MIN = 60_000;
const HOUR = 3_600_000;

/** Feeds events at the given times through decide; returns what was sent and the final state. */
function feed(times: readonly number[], event: (i: number) => NotifyEvent, state: DedupState = EMPTY_DEDUP) {
  const sent: { at: number; event: NotifyEvent }[] = [];
  let s = state;
  times.forEach((t, i) => {
    const d = decide(s, event(i), new Date(t), POLICY);
    s = d.state;
    if (d.send) sent.push({ at: t, event: d.event });
  });
  return { sent, state: s };
}

/** Clock readings from `start`, each `gap` after the previous one. */
function timesFrom(start: number, gaps: readonly number[]): number[] {
  let t = start;
  return gaps.map((g) => {
    t += g;
    return t;
  });
}

describe('decide', () => {
  it('sends a failing job once, then one reminder per reminderMs, not every 15-minute run', () => {
    const runs = Array.from({ length: 4 * 24 }, (_, i) => T0 + i * 15 * MIN); // one day
    const { sent } = feed(runs, () => failingEvent());
    expect(sent.map((s) => (s.at - T0) / HOUR)).toEqual([0, 4, 8, 12, 16, 20]);
    expect(sent[0]!.event).not.toHaveProperty('reminder');
    expect(sent[1]!.event).toMatchObject({ reminder: { firstAt: new Date(T0).toISOString(), sent: 1 } });
  });

  it('keys failing by job: a changing error text is no new condition, and the reminder carries the new error', () => {
    const { sent } = feed([T0, T0 + MIN, T0 + 5 * HOUR], (i) =>
      failingEvent({ error: { code: 'TARGET_UNAVAILABLE', message: `error ${i}`, fix: 'wait' } }),
    );
    expect(sent).toHaveLength(2);
    expect(sent[1]!.event).toMatchObject({ kind: 'failing', error: { message: 'error 2' } });
  });

  it('treats a blocked plan with another plan id as a new condition, sent at once', () => {
    const { sent } = feed([T0, T0 + MIN, T0 + 2 * MIN], (i) =>
      blockedEvent({ planId: i < 2 ? 'p-a' : 'p-b' }),
    );
    expect(sent.map((s) => (s.event.kind === 'blocked' ? s.event.planId : ''))).toEqual(['p-a', 'p-b']);
  });

  it('never de-duplicates digest and test', () => {
    const { sent } = feed([T0, T0, T0], (i) => (i === 1 ? testEvent : digestEvent()));
    expect(sent).toHaveLength(3);
  });

  it('sends no kind left out of policy.events', () => {
    const d = decide(EMPTY_DEDUP, failingEvent(), new Date(T0), { ...POLICY, events: new Set(['blocked']) });
    expect(d.send).toBe(false);
    expect(d.state.entries).toEqual([]);
  });

  it('warns of an expiring approval once, never as a reminder', () => {
    const { sent } = feed([T0, T0 + 10 * HOUR, T0 + 30 * HOUR], () => expiringEvent());
    expect(sent).toHaveLength(1);
  });

  it('clears the job conditions on recovery (even when recovered is not sent), so the next failure is sent at once', () => {
    const quiet = { ...POLICY, events: new Set(['failing'] as const) };
    let s = decide(EMPTY_DEDUP, failingEvent(), new Date(T0), quiet).state;
    s = decide(s, failingEvent({ job: 'other' }), new Date(T0), quiet).state;
    const rec = decide(s, recoveredEvent(), new Date(T0 + MIN), quiet);
    expect(rec.send).toBe(false);
    expect(rec.state.entries.map((e) => e.job)).toEqual(['other']);
    expect(decide(rec.state, failingEvent(), new Date(T0 + 2 * MIN), quiet).send).toBe(true);
  });

  it('settle forgets only the given kinds of the given job', () => {
    let s = decide(EMPTY_DEDUP, failingEvent(), new Date(T0), POLICY).state;
    s = decide(s, blockedEvent(), new Date(T0), POLICY).state;
    const after = settle(s, 'main', new Date(T0), new Set(['blocked']));
    expect(after.entries.map((e) => e.kind)).toEqual(['failing']);
  });

  describe('a clock that jumps', () => {
    it('back a little: neither silences reminders until the old time comes round nor sends one per run', () => {
      // Sent at T0; then the clock is set back 10 days and runs every 15 minutes for a day.
      const back = T0 - 10 * 24 * HOUR;
      const runs = [T0, ...Array.from({ length: 96 }, (_, i) => back + i * 15 * MIN)];
      const { sent } = feed(runs, () => failingEvent());
      // The first run after the jump restarts the interval: reminders every 4 h after it, as usual.
      expect(sent.map((s) => (s.at - back) / HOUR)).toEqual([(T0 - back) / HOUR, 4, 8, 12, 16, 20]);
    });

    it('back a year: the entry "from the future" is not trusted; told once anew, then the usual reminders', () => {
      const back = T0 - 365 * 24 * HOUR;
      const runs = [T0, ...Array.from({ length: 96 }, (_, i) => back + i * 15 * MIN)];
      const { sent } = feed(runs, () => failingEvent());
      expect(sent.map((s) => (s.at - back) / HOUR)).toEqual([(T0 - back) / HOUR, 0, 4, 8, 12, 16, 20]);
      expect(sent[1]!.event).not.toHaveProperty('reminder');
    });

    it('far forward and back: one message per jump, then reminders every reminderMs again', () => {
      const ahead = T0 + 365 * 24 * HOUR;
      const steady = Array.from({ length: 40 }, (_, i) => T0 + (i + 1) * 15 * MIN);
      const { sent } = feed([T0, ahead, ahead + 15 * MIN, ...steady], () => failingEvent());
      expect(sent.map((s) => s.at)).toEqual([
        T0,
        ahead,
        T0 + 15 * MIN,
        T0 + 15 * MIN + 4 * HOUR,
        T0 + 15 * MIN + 8 * HOUR,
      ]);
    });
  });

  it('forgets entries more than 30 days old (the condition, if still there, is told again)', () => {
    const { sent } = feed([T0, T0 + PRUNE_MS + MIN], () => expiringEvent());
    expect(sent).toHaveLength(2);
  });

  it('keeps at most MAX_ENTRIES entries, the most recently sent', () => {
    let s = EMPTY_DEDUP;
    for (let i = 0; i <= MAX_ENTRIES + 5; i++)
      s = decide(s, blockedEvent({ planId: `p${i}` }), new Date(T0 + i * 1000), POLICY).state;
    expect(s.entries).toHaveLength(MAX_ENTRIES);
    expect(s.entries.some((e) => e.key === eventKey(blockedEvent({ planId: `p${MAX_ENTRIES + 5}` })))).toBe(
      true,
    );
    expect(s.entries.some((e) => e.key === eventKey(blockedEvent({ planId: 'p0' })))).toBe(false);
  });
});

describe('decide (properties)', () => {
  const gaps = fc.array(fc.integer({ min: 0, max: 6 * HOUR }), { minLength: 1, maxLength: 300 });

  it('for identical failing runs at any spacing, sends ≤ 1 + elapsed / reminderMs', () => {
    fc.assert(
      fc.property(gaps, (g) => {
        const times = timesFrom(T0, g);
        const { sent } = feed(times, () => failingEvent());
        const elapsed = times.at(-1)! - times[0]!;
        expect(sent.length).toBeGreaterThanOrEqual(1);
        expect(sent.length).toBeLessThanOrEqual(1 + Math.floor(elapsed / POLICY.reminderMs));
      }),
      { numRuns: RUNS },
    );
  });

  it('after any clock jumps (back or forward), a clock that then runs forward sends ≤ 1 + elapsed / reminderMs', () => {
    const jumps = fc.array(fc.integer({ min: -400 * 24 * HOUR, max: 400 * 24 * HOUR }), { maxLength: 20 });
    fc.assert(
      fc.property(jumps, gaps, (js, g) => {
        // Arbitrary jumps first, then a clock that only moves forward.
        const jumped = js.map((j) => T0 + j);
        const start = T0 + 800 * 24 * HOUR;
        const steady = timesFrom(start, g);
        const first = feed(jumped, () => failingEvent());
        const { sent } = feed(steady, () => failingEvent(), first.state);
        const elapsed = steady.at(-1)! - steady[0]!;
        expect(sent.length).toBeLessThanOrEqual(1 + Math.floor(elapsed / POLICY.reminderMs));
      }),
      { numRuns: RUNS },
    );
  });

  it('a recovered event is sent only after a notified condition, and at most once per recovery', () => {
    type Step = 'fail' | 'block' | 'ok';
    const steps = fc.array(fc.constantFrom<Step>('fail', 'block', 'ok'), { maxLength: 60 });
    fc.assert(
      fc.property(steps, (ss) => {
        let s = EMPTY_DEDUP;
        let notified = false;
        let recovered = 0;
        ss.forEach((step, i) => {
          const now = new Date(T0 + i * 15 * MIN);
          if (step === 'ok') {
            // What detect emits: a recovery only when the state holds a condition of the job.
            if (s.entries.some((e) => e.job === 'main')) {
              const d = decide(s, recoveredEvent(), now, POLICY);
              s = d.state;
              if (d.send) {
                expect(notified).toBe(true);
                recovered++;
              }
            }
            expect(s.entries.filter((e) => e.job === 'main')).toEqual([]);
            notified = false;
            return;
          }
          const d = decide(s, step === 'fail' ? failingEvent() : blockedEvent(), now, POLICY);
          s = d.state;
          if (d.send) notified = true;
        });
        expect(recovered).toBeLessThanOrEqual(ss.filter((x) => x === 'ok').length);
      }),
      { numRuns: RUNS },
    );
  });

  it('the state survives parse(JSON round trip) unchanged, with no problem', () => {
    const events = fc.array(
      fc.record({
        gap: fc.integer({ min: 0, max: 10 * HOUR }),
        job: fc.constantFrom('main', 'site-b', 'ünïcode job'),
        kind: fc.constantFrom('failing', 'blocked', 'expiring'),
        plan: fc.string({ maxLength: 12 }),
      }),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(events, (es) => {
        let s = EMPTY_DEDUP;
        let t = T0;
        for (const e of es) {
          t += e.gap;
          const ev =
            e.kind === 'failing'
              ? failingEvent({ job: e.job })
              : e.kind === 'blocked'
                ? blockedEvent({ job: e.job, planId: e.plan })
                : expiringEvent({ job: e.job, planId: e.plan });
          s = decide(s, ev, new Date(t), POLICY).state;
        }
        const parsed = parseDedupState(JSON.parse(JSON.stringify(s)));
        expect(parsed).toEqual({ state: s });
      }),
      { numRuns: RUNS },
    );
  });
});

describe('parseDedupState', () => {
  const good = decide(EMPTY_DEDUP, failingEvent(), new Date(T0), POLICY).state;

  it.each([
    ['null', null, 'it is not a JSON object'],
    ['a list', [], 'it is not a JSON object'],
    ['another version', { version: 2, entries: [] }, 'unknown version 2'],
    ['entries not a list', { version: 1, entries: {} }, '"entries" is not a list'],
  ])('reads %s as the empty state and says why', (_, value, problem) => {
    expect(parseDedupState(value)).toEqual({ state: EMPTY_DEDUP, problem });
  });

  it('drops wrong entries (bad time, unknown kind, zero sends, a duplicate key) and keeps the rest', () => {
    const e = good.entries[0]!;
    const value = {
      version: 1,
      entries: [
        e,
        { ...e, key: 'x', lastSentAt: 'yesterday' },
        { ...e, key: 'y', kind: 'party' },
        { ...e, key: 'z', sent: 0 },
        { ...e, key: 'w', lastSentAt: '2026-02-30T00:00:00.000Z' },
        e,
      ],
    };
    expect(parseDedupState(value)).toEqual({ state: good, problem: '5 entries were unusable' });
  });
});
