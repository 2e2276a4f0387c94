import type { ReceivedBatch } from './emulator-records.js';
import { isIntegerIn, isNonNegativeNumber } from './fault-validation.js';
import type { RateLimitOptions } from './rate-limit-window.js';

/** The key to configure a client with when the emulator accepts any `sk_…` key (its default). */
export const EMULATOR_API_KEY = 'sk_test_emulator';

/** The version the library pins; the emulator accepts it by default. */
export const DEFAULT_SUPPORTED_VERSIONS: readonly string[] = ['2026-04-28'];

export interface SpotzeeEmulatorOptions {
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0: an ephemeral port, kept across `down()`/`up()`. */
  port?: number;
  /** Accepted secret keys. Default: any key starting with `sk_`. `pk_…` keys always get 403. */
  apiKeys?: readonly string[];
  /** Accepted `Spotzee-Version` dates. Default `['2026-04-28']`. */
  supportedVersions?: readonly string[];
  /** How long idempotency keys are remembered. Default 24 h. */
  idempotencyTtlMs?: number;
  /** Latency added to every request, inside the idempotency "in progress" window. Default 0. */
  processingDelayMs?: number;
  /** Larger bodies get `413 payload_too_large`. Default 5 MiB. */
  maxBodyBytes?: number;
  /** Longer `name`s are a validation error. Default 255. */
  maxNameLength?: number;
  /**
   * `Retry-After` (seconds) of `409 idempotency_in_progress`. Default: the time the running request
   * still needs, at least 0.01 s, so retries in tests come back right when the answer is ready.
   */
  inProgressRetryAfterSeconds?: number;
  /** `X-RateLimit-*` headers, and optional enforcement. */
  rateLimit?: RateLimitOptions;
  /** Keep every accepted event and batch. Default true; false keeps counters only (long benchmarks). */
  retainEvents?: boolean;
  /** Request records kept (newest win). Default 100,000; 0 keeps none. Counters stay exact. */
  maxRecordedRequests?: number;
  /** The clock behind idempotency expiry and rate-limit windows (epoch ms). Default `Date.now`; tests can pass a fake one. */
  clock?: () => number;
  /** Called for each newly accepted batch (not for replays). Errors thrown here are reported as warnings. */
  onBatch?: (batch: ReceivedBatch) => void;
  /**
   * What a batch with some invalid items does. Spotzee's docs disagree, so the emulator plays each reading:
   * - `reject-batch` (default; the API reference): `422 validation_failed` naming the items, nothing committed.
   * - `commit-valid-422`: the same 422, but the valid items were committed anyway (the guide's "items that
   *   succeeded are committed" applied to a 422). A client that resends them under a new key duplicates them.
   * - `commit-valid-200`: `200` with per-item results `{ results: [{ index, error? }], succeeded, failed }`
   *   (the guide's per-item errors), the valid items committed.
   */
  invalidItems?: InvalidItemsMode;
  /**
   * Serve the live inspector page (`emulator.inspectorUrl`) on its own port, on the same host, so it
   * stays up while `down()` simulates an outage. Default true.
   */
  inspector?: boolean;
  /** Port of the inspector. Default 0: an ephemeral port. */
  inspectorPort?: number;
}

export type InvalidItemsMode = 'reject-batch' | 'commit-valid-422' | 'commit-valid-200';
const INVALID_ITEMS_MODES: readonly InvalidItemsMode[] = ['reject-batch', 'commit-valid-422', 'commit-valid-200'];

export interface ResolvedEmulatorOptions {
  host: string;
  port: number;
  apiKeys: ReadonlySet<string> | null;
  supportedVersions: ReadonlySet<string>;
  idempotencyTtlMs: number;
  processingDelayMs: number;
  maxBodyBytes: number;
  maxNameLength: number;
  inProgressRetryAfterSeconds: number | null;
  rateLimit: RateLimitOptions;
  retainEvents: boolean;
  maxRecordedRequests: number;
  clock: () => number;
  onBatch: ((batch: ReceivedBatch) => void) | null;
  invalidItems: InvalidItemsMode;
  inspector: boolean;
  inspectorPort: number;
}

export function resolveEmulatorOptions(options: SpotzeeEmulatorOptions = {}): ResolvedEmulatorOptions {
  const resolved: ResolvedEmulatorOptions = {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    apiKeys: options.apiKeys === undefined ? null : new Set(options.apiKeys),
    supportedVersions: new Set(options.supportedVersions ?? DEFAULT_SUPPORTED_VERSIONS),
    idempotencyTtlMs: options.idempotencyTtlMs ?? 24 * 60 * 60 * 1000,
    processingDelayMs: options.processingDelayMs ?? 0,
    maxBodyBytes: options.maxBodyBytes ?? 5 * 1024 * 1024,
    maxNameLength: options.maxNameLength ?? 255,
    inProgressRetryAfterSeconds: options.inProgressRetryAfterSeconds ?? null,
    rateLimit: options.rateLimit ?? {},
    retainEvents: options.retainEvents ?? true,
    maxRecordedRequests: options.maxRecordedRequests ?? 100_000,
    clock: options.clock ?? Date.now,
    onBatch: options.onBatch ?? null,
    invalidItems: options.invalidItems ?? 'reject-batch',
    inspector: options.inspector ?? true,
    inspectorPort: options.inspectorPort ?? 0,
  };
  check(
    INVALID_ITEMS_MODES.includes(resolved.invalidItems),
    `invalidItems must be one of ${INVALID_ITEMS_MODES.join(', ')} (got ${String(options.invalidItems)}).`,
  );
  check(typeof resolved.inspector === 'boolean', `inspector must be true or false (got ${String(options.inspector)}).`);
  check(
    isIntegerIn(resolved.inspectorPort, 0, 65535),
    `inspectorPort must be an integer 0..65535 (got ${String(options.inspectorPort)}).`,
  );
  check(isIntegerIn(resolved.port, 0, 65535), `port must be an integer 0..65535 (got ${String(options.port)}).`);
  check(resolved.host.length > 0, 'host must not be empty.');
  if (resolved.apiKeys !== null) {
    check(resolved.apiKeys.size > 0, 'apiKeys must hold at least one key (omit it to accept any sk_… key).');
    for (const key of resolved.apiKeys) {
      check(typeof key === 'string' && /^\S+$/.test(key), 'apiKeys must be non-empty strings without spaces.');
    }
  }
  check(resolved.supportedVersions.size > 0, 'supportedVersions must hold at least one YYYY-MM-DD date.');
  check(isNonNegativeNumber(resolved.idempotencyTtlMs), 'idempotencyTtlMs must be a number ≥ 0.');
  check(isNonNegativeNumber(resolved.processingDelayMs), 'processingDelayMs must be a number ≥ 0.');
  check(
    Number.isInteger(resolved.maxBodyBytes) && resolved.maxBodyBytes > 0,
    'maxBodyBytes must be a positive integer.',
  );
  check(
    Number.isInteger(resolved.maxNameLength) && resolved.maxNameLength > 0,
    'maxNameLength must be a positive integer.',
  );
  check(
    resolved.inProgressRetryAfterSeconds === null || isNonNegativeNumber(resolved.inProgressRetryAfterSeconds),
    'inProgressRetryAfterSeconds must be a number ≥ 0.',
  );
  check(
    Number.isInteger(resolved.maxRecordedRequests) && resolved.maxRecordedRequests >= 0,
    'maxRecordedRequests must be an integer ≥ 0.',
  );
  return resolved;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new TypeError(`SpotzeeEmulator: ${message}`);
}
