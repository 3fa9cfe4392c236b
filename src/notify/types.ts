/**
 * What a notification says (events), where it goes (channels) and the de-dup memory between them.
 * Events are plain data built by the pure `detect.ts` from a run's facts; each channel renders an
 * event in its own format (`format/*.ts`, pure) and sends it (`channels/*.ts`, I/O). Nothing here
 * carries a secret: a channel's URL, password or signing key stays in the channel.
 */

/** Who a notification is about, as the admin reads it. */
export interface PersonLine {
  readonly name: string;
  /** Masked (a***@example.com) when `log.maskEmails` is set. */
  readonly email: string;
  readonly id: string;
}

export interface PlanCountsLine {
  readonly adds: number;
  readonly updates: number;
  readonly deletes: number;
  readonly unchanged: number;
}

interface EventBase {
  /** When the condition was seen (ISO 8601). */
  readonly at: string;
  readonly job: string;
  /** The MIM project the job pushes to. */
  readonly project: string;
}

/** Set by `policy.decide` when the event repeats a condition already notified. */
export interface Reminder {
  /** When the condition was first notified. */
  readonly firstAt: string;
  /** How many times it was sent before this one. */
  readonly sent: number;
}

/** An ongoing condition: notified once, then reminded every `reminderMs` while it lasts. */
interface ConditionBase extends EventBase {
  readonly reminder?: Reminder | undefined;
}

/** The guard blocked a run: nothing was pushed; someone must approve this exact plan (or fix the source). */
export interface BlockedEvent extends ConditionBase {
  readonly kind: 'blocked';
  readonly runId: string;
  /** 'approval' = approvable; 'hard-stop' = no approval can push it (empty source, below minUsers). */
  readonly guardKind: 'approval' | 'hard-stop';
  readonly planId: string;
  readonly baselineId: string;
  readonly reasons: readonly string[];
  readonly counts: PlanCountsLine;
  /** The first deletes of the plan (at most TOP_DELETES), for a glance without opening the console. */
  readonly topDeletes: readonly PersonLine[];
  /** The exact command that approves this plan (with the daemon's -c), or null for a hard stop. */
  readonly approveCommand: string | null;
  /** The web console's page of this job, when `notify.consoleUrl` is set. */
  readonly consoleUrl: string | null;
}

/** An approval given for a blocked plan runs out soon and the plan has not been pushed yet. */
export interface ApprovalExpiringEvent extends EventBase {
  readonly kind: 'approval-expiring';
  readonly planId: string;
  readonly approvedBy: string;
  readonly expiresAt: string;
  readonly consoleUrl: string | null;
}

/** A job failed `notify.failingAfterRuns` times in a row, or has been failing longer than `notify.failingAfterMinutes`. */
export interface FailingEvent extends ConditionBase {
  readonly kind: 'failing';
  readonly consecutiveFailures: number;
  /** End of the last successful run before the streak, or null if none is known. */
  readonly lastSuccessAt: string | null;
  readonly failingSince: string;
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly place?: string | undefined;
    readonly fix: string;
  };
  readonly consoleUrl: string | null;
}

/** A job that was notified as failing (or blocked) succeeded again. */
export interface RecoveredEvent extends EventBase {
  readonly kind: 'recovered';
  readonly runId: string;
  readonly outcome: 'applied' | 'unchanged';
  /** What had been notified and is now over. */
  readonly after: 'failing' | 'blocked' | 'unknown-outcome';
  readonly since: string;
}

/** An upload got no definite answer: MIM may or may not hold it; the next run re-sends. */
export interface UnknownOutcomeEvent extends ConditionBase {
  readonly kind: 'unknown-outcome';
  readonly runId: string;
  readonly detail: string;
  readonly consoleUrl: string | null;
}

export interface DigestJobLine {
  readonly job: string;
  readonly project: string;
  readonly lastOutcome: string | null;
  readonly lastSuccessAt: string | null;
  readonly runs: {
    readonly applied: number;
    readonly unchanged: number;
    readonly blocked: number;
    readonly failed: number;
  };
  readonly changes: { readonly adds: number; readonly updates: number; readonly deletes: number };
  readonly users: number | null;
  /** A plan waits for approval. */
  readonly blocked: boolean;
}

/** Once a day (`notify.digestCron`): every job's runs and changes since the last digest. */
export interface DigestEvent {
  readonly kind: 'digest';
  readonly at: string;
  readonly since: string;
  readonly jobs: readonly DigestJobLine[];
}

/** `mobileid-sync notify test`. */
export interface TestEvent {
  readonly kind: 'test';
  readonly at: string;
  readonly host: string;
  readonly version: string;
}

export type NotifyEvent =
  | BlockedEvent
  | ApprovalExpiringEvent
  | FailingEvent
  | RecoveredEvent
  | UnknownOutcomeEvent
  | DigestEvent
  | TestEvent;

export type NotifyEventKind = NotifyEvent['kind'];

/** Every kind, in the order the docs list them (config validation and the de-dup file check use it). */
export const EVENT_KINDS: readonly NotifyEventKind[] = [
  'blocked',
  'approval-expiring',
  'failing',
  'recovered',
  'unknown-outcome',
  'digest',
  'test',
];

/** At most this many deletes are listed in a blocked notification. */
export const TOP_DELETES = 10;

/** How urgent, for colours and subjects: critical = people may lose access unless someone acts. */
export type Severity = 'critical' | 'warning' | 'info' | 'ok';

/** Plain-text rendering every channel can fall back on (and the e-mail's text part). */
export interface TextMessage {
  readonly severity: Severity;
  /** One line, no newline: the e-mail subject and the chat title. */
  readonly title: string;
  /** Lines of the body, no markup. */
  readonly lines: readonly string[];
  /** Where to act, if anywhere: label and URL (console page). */
  readonly link: { readonly label: string; readonly url: string } | null;
}

export type ChannelName = 'email' | 'teams' | 'slack' | 'webhook';

/** What the receiver answered: "250 2.0.0 OK", "HTTP 202". Never a secret. */
export interface Receipt {
  readonly detail: string;
}

/** One notification as the dispatcher hands it to a channel: the same id for each retry. */
export interface Delivery {
  readonly id: string;
}

/**
 * A delivery channel. `send` resolves with the receiver's answer when it accepted the message,
 * rejects otherwise (channels reject with a `DeliveryError`: retryable or not, and the fix).
 */
export interface Channel {
  readonly name: ChannelName;
  /** Where it sends, safe to show (host:port, webhook host), never a secret. */
  readonly target: string;
  send(event: NotifyEvent, signal: AbortSignal, delivery?: Delivery): Promise<Receipt>;
  close?(): Promise<void>;
}

/** The numbers the de-dup policy and the detection use (from the `notify` config keys). */
export interface NotifyPolicy {
  /** A condition still true after this long is notified again as a reminder. */
  readonly reminderMs: number;
  /** Consecutive failed runs before `failing` is notified (1 = the first failure). */
  readonly failingAfterRuns: number;
  /** A job failing (every run since its last success) this long is notified even below `failingAfterRuns`. */
  readonly failingAfterMs: number;
  /** An approval that expires within this is notified once (`approval-expiring`). */
  readonly approvalWarningMs: number;
  /** Which kinds are sent at all. */
  readonly events: ReadonlySet<NotifyEventKind>;
}

/** One condition that was notified: the same key is the same condition (de-duplicated). */
export interface DedupEntry {
  readonly key: string;
  readonly job: string | null;
  readonly kind: NotifyEventKind;
  /** When the condition was first notified. */
  readonly firstAt: string;
  readonly lastSentAt: string;
  readonly sent: number;
}

/** `<stateDir>/notify.json`: what was notified. Missing or unreadable = nothing was (we would rather tell twice). */
export interface DedupState {
  readonly version: 1;
  readonly entries: readonly DedupEntry[];
}
