/** Sample notification events for the format and channel tests, with hostile directory data. */
import {
  type ApprovalExpiringEvent,
  type BlockedEvent,
  type DigestEvent,
  EVENT_KINDS,
  type FailingEvent,
  type NotifyEvent,
  type NotifyPolicy,
  type PersonLine,
  type RecoveredEvent,
  type TestEvent,
  type UnknownOutcomeEvent,
} from '../../src/notify/types.js';

/** Names a directory may hold that must arrive as text in every channel. */
export const HOSTILE_NAMES: readonly string[] = [
  '<img src=x onerror=alert(1)>',
  '<!channel> <http://evil.example|click me>',
  '[click](http://evil.example) **bold** _it_',
  '<script>alert("x")</script> & "quotes" \'single\'',
];

export function person(n: number, name = `Person ${n}`): PersonLine {
  return { name, email: `p${n}@example.com`, id: `ID${n}` };
}

export const AT = '2026-03-02T10:15:00.000Z';

export function blockedEvent(over: Partial<BlockedEvent> = {}): BlockedEvent {
  return {
    kind: 'blocked',
    at: AT,
    job: 'main',
    project: 'Acme HQ',
    runId: 'run-1',
    guardKind: 'approval',
    planId: 'p-1a2b3c',
    baselineId: 'b-9f8e',
    reasons: ['30 deletes exceed guard.maxDeletes (10)'],
    counts: { adds: 2, updates: 1, deletes: 30, unchanged: 970 },
    topDeletes: Array.from({ length: 10 }, (_, i) => person(i + 1)),
    approveCommand: "mobileid-sync approve main --plan p-1a2b3c -c '/etc/mobileid-sync/config.json5'",
    consoleUrl: 'http://127.0.0.1:9464/console/jobs/main',
    ...over,
  };
}

export function failingEvent(over: Partial<FailingEvent> = {}): FailingEvent {
  return {
    kind: 'failing',
    at: AT,
    job: 'main',
    project: 'Acme HQ',
    consecutiveFailures: 3,
    lastSuccessAt: '2026-03-01T22:00:00.000Z',
    failingSince: '2026-03-02T09:45:00.000Z',
    error: {
      code: 'SOURCE_UNAVAILABLE',
      message: 'LDAP server ldap.example.com:636 did not answer',
      place: 'jobs[0].sources[0].url',
      fix: 'Check that the directory server is reachable.',
    },
    consoleUrl: 'http://127.0.0.1:9464/console/jobs/main',
    ...over,
  };
}

export function expiringEvent(over: Partial<ApprovalExpiringEvent> = {}): ApprovalExpiringEvent {
  return {
    kind: 'approval-expiring',
    at: AT,
    job: 'main',
    project: 'Acme HQ',
    planId: 'p-1a2b3c',
    approvedBy: 'alice',
    expiresAt: '2026-03-02T11:00:00.000Z',
    consoleUrl: null,
    ...over,
  };
}

export function recoveredEvent(over: Partial<RecoveredEvent> = {}): RecoveredEvent {
  return {
    kind: 'recovered',
    at: AT,
    job: 'main',
    project: 'Acme HQ',
    runId: 'run-9',
    outcome: 'applied',
    after: 'failing',
    since: '2026-03-02T09:45:00.000Z',
    ...over,
  };
}

export function unknownEvent(over: Partial<UnknownOutcomeEvent> = {}): UnknownOutcomeEvent {
  return {
    kind: 'unknown-outcome',
    at: AT,
    job: 'main',
    project: 'Acme HQ',
    runId: 'run-4',
    detail: 'The connection closed after the upload was sent',
    consoleUrl: null,
    ...over,
  };
}

export function digestEvent(jobs = 2): DigestEvent {
  return {
    kind: 'digest',
    at: AT,
    since: '2026-03-01T10:15:00.000Z',
    jobs: Array.from({ length: jobs }, (_, i) => ({
      job: `job-${i}`,
      project: `Project ${i}`,
      lastOutcome: i === 1 ? 'failed' : 'applied',
      lastSuccessAt: '2026-03-02T08:00:00.000Z',
      runs: { applied: 3, unchanged: 90, blocked: 0, failed: i === 1 ? 2 : 0 },
      changes: { adds: 4, updates: 2, deletes: 1 },
      users: 1200,
      blocked: false,
    })),
  };
}

export const testEvent: TestEvent = { kind: 'test', at: AT, host: 'sync01', version: '0.1.0' };

/** One event of every kind. */
export function everyKind(): NotifyEvent[] {
  return [
    blockedEvent(),
    blockedEvent({
      guardKind: 'hard-stop',
      approveCommand: null,
      reasons: ['The source hr returned no records'],
    }),
    expiringEvent(),
    failingEvent(),
    recoveredEvent(),
    unknownEvent(),
    digestEvent(),
    testEvent,
  ];
}

/** The same events with a hostile name wherever directory data goes. */
export function hostileEvents(name: string): NotifyEvent[] {
  return [
    blockedEvent({ topDeletes: [person(1, name)], reasons: [`name swap: ${name}`] }),
    failingEvent({ error: { code: 'SOURCE_INVALID', message: name, place: name, fix: name } }),
    unknownEvent({ detail: name }),
  ];
}

export const POLICY: NotifyPolicy = {
  reminderMs: 4 * 3_600_000,
  failingAfterRuns: 3,
  failingAfterMs: 3_600_000,
  approvalWarningMs: 2 * 3_600_000,
  events: new Set(EVENT_KINDS),
};
