import { hasControlCharacters } from './prepare/control-characters.js';
import type { DeliveryLogger } from './ledger/delivery-logger.js';
import { SILENT_LOGGER } from './ledger/delivery-logger.js';
import type { DeliveryOptions, OverflowPolicy } from './delivery-options.js';
import { describeValue } from './describe-value.js';
import { invalidOptionError, SpotzeeConfigurationError } from './errors.js';

/** Every option with its value decided. The API key is deliberately absent: it lives only in the engine. */
export interface ResolvedDeliveryOptions {
  /** Without a trailing slash; requests go to `${baseUrl}/events`. */
  baseUrl: string;
  apiVersion: string;
  dryRun: boolean;
  /** Whether a key was configured (the key itself is never exposed). */
  hasApiKey: boolean;
  maxBatchEvents: number;
  maxBatchBytes: number;
  maxEventBytes: number;
  flushIntervalMs: number;
  maxInFlight: number;
  maxQueueEvents: number;
  maxQueueBytes: number;
  overflow: OverflowPolicy;
  requestTimeoutMs: number;
  retryForMs: number;
  /** `Infinity` when not set: the time budget alone decides. */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  rateLimitMaxMs: number;
  rateLimitJitterMs: number;
  haltProbeIntervalMs: number;
  dedupeWindowMs: number;
  dedupeMaxKeys: number;
  maxNameLength: number;
  maxResponseBytes: number;
  shutdownDeadlineMs: number;
  logger: DeliveryLogger;
}

type NumericOption = {
  [K in keyof ResolvedDeliveryOptions]: ResolvedDeliveryOptions[K] extends number ? K : never;
}[keyof ResolvedDeliveryOptions];

const KIB = 1024;
const MIB = 1024 * KIB;
const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;

export const DEFAULT_BASE_URL = 'https://apix.spotzee.com/api/client';
export const DEFAULT_API_VERSION = '2026-04-28';

export const DEFAULT_DELIVERY_OPTIONS: Readonly<Omit<ResolvedDeliveryOptions, 'hasApiKey' | 'logger'>> = Object.freeze({
  baseUrl: DEFAULT_BASE_URL,
  apiVersion: DEFAULT_API_VERSION,
  dryRun: false,
  maxBatchEvents: 100,
  maxBatchBytes: 512 * KIB,
  maxEventBytes: 64 * KIB,
  flushIntervalMs: 250,
  maxInFlight: 4,
  maxQueueEvents: 100_000,
  maxQueueBytes: 64 * MIB,
  overflow: 'drop-newest',
  requestTimeoutMs: 10 * SECOND,
  retryForMs: HOUR,
  maxAttempts: Infinity,
  retryBaseMs: 200,
  retryMaxMs: 30 * SECOND,
  rateLimitMaxMs: 60 * SECOND,
  rateLimitJitterMs: 500,
  haltProbeIntervalMs: 60 * SECOND,
  dedupeWindowMs: DAY,
  dedupeMaxKeys: 100_000,
  maxNameLength: 255,
  maxResponseBytes: 64 * KIB,
  shutdownDeadlineMs: 10 * SECOND,
});

/** [min, max, why] per numeric option; `why` ends the error message so it says what the bound is for. */
const RANGES: Record<
  Exclude<NumericOption, 'maxEventBytes' | 'maxQueueBytes' | 'retryMaxMs' | 'maxAttempts'>,
  [number, number, string]
> = {
  maxBatchEvents: [1, 100, 'Spotzee accepts at most 100 events per request'],
  maxBatchBytes: [1 * KIB, 16 * MIB, 'a request body cap in bytes'],
  flushIntervalMs: [0, HOUR, 'how long a partial batch waits, in ms'],
  maxInFlight: [1, 64, 'concurrent requests to Spotzee'],
  maxQueueEvents: [1, 10_000_000, 'events held in memory'],
  requestTimeoutMs: [1, 10 * 60 * SECOND, 'per-request timeout in ms'],
  retryForMs: [0, DAY, "how long a batch retries transient failures, in ms; within Spotzee's 24 h idempotency window"],
  retryBaseMs: [0, HOUR, 'the first retry delay in ms'],
  rateLimitMaxMs: [0, DAY, 'the longest rate-limit pause in ms'],
  rateLimitJitterMs: [0, 60 * SECOND, 'random extra wait on a rate-limit pause, in ms'],
  haltProbeIntervalMs: [1, DAY, 'how often to retry after 401/403, in ms'],
  dedupeWindowMs: [0, 7 * DAY, 'how long idempotency keys are remembered, in ms'],
  dedupeMaxKeys: [0, 10_000_000, 'idempotency keys remembered'],
  maxNameLength: [1, 10_000, 'characters in an event name'],
  maxResponseBytes: [256, 16 * MIB, 'bytes of a response body read'],
  shutdownDeadlineMs: [0, HOUR, 'how long close() drains, in ms'],
};

// Control characters in anything that ends up in a header or URL would allow header injection.
const LOOPBACK_HOSTS = new Set(['localhost', '[::1]', '::1']);

function fail(option: string, message: string): never {
  throw invalidOptionError(option, message);
}

function integerOption(
  options: DeliveryOptions,
  name: NumericOption,
  min: number,
  max: number,
  why: string,
  fallback?: number,
): number {
  const value = (options as Record<string, unknown>)[name] ?? fallback ?? DEFAULT_DELIVERY_OPTIONS[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(name, `expected an integer from ${min} to ${max} (${why}), got ${describeValue(value)}.`);
  }
  return value;
}

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function resolveBaseUrl(raw: unknown): string {
  const value = raw ?? DEFAULT_BASE_URL;
  if (typeof value !== 'string' || value.trim() === '') {
    fail('baseUrl', `expected a URL such as ${DEFAULT_BASE_URL}, got ${describeValue(value)}.`);
  }
  if (hasControlCharacters(value)) fail('baseUrl', 'contains control characters; remove them.');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail('baseUrl', `is not an absolute URL; use the form ${DEFAULT_BASE_URL}.`);
  }
  if (url.username !== '' || url.password !== '') {
    fail('baseUrl', 'must not contain credentials; pass the secret key as apiKey instead.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    fail('baseUrl', `must use https (got ${url.protocol}); use the form ${DEFAULT_BASE_URL}.`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    fail(
      'baseUrl',
      `must use https for ${url.hostname}: the API key would travel in clear text. Plain http is allowed only for loopback hosts (127.0.0.1, localhost, ::1), e.g. the local emulator.`,
    );
  }
  if (url.search !== '' || url.hash !== '') {
    fail('baseUrl', 'must not have a query string or fragment; requests go to `${baseUrl}/events`.');
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function resolveApiKey(options: DeliveryOptions, dryRun: boolean): boolean {
  const key = options.apiKey;
  if (key === undefined || key === null || key === '') {
    if (dryRun) return false;
    fail(
      'apiKey',
      'is missing. Pass your Spotzee secret key (sk_…), e.g. from the SPOTZEE_API_KEY environment variable, or set dryRun: true to run without sending.',
    );
  }
  if (typeof key !== 'string') fail('apiKey', `expected a string, got ${describeValue(key)}.`);
  if (/\s/.test(key) || hasControlCharacters(key)) {
    fail(
      'apiKey',
      'contains whitespace or control characters; check how the environment variable is loaded (a trailing newline?).',
    );
  }
  if (key.startsWith('pk_')) {
    fail(
      'apiKey',
      'is a publishable key (pk_…), meant for browsers. A backend must use a secret key (sk_…) from your Spotzee project settings.',
    );
  }
  return true;
}

function resolveLogger(logger: unknown): DeliveryLogger {
  if (logger === undefined || logger === null) return SILENT_LOGGER;
  const candidate = logger as Partial<DeliveryLogger>;
  if (
    typeof candidate.log !== 'function' ||
    typeof candidate.warn !== 'function' ||
    typeof candidate.error !== 'function'
  ) {
    fail('logger', 'must have log, warn and error methods (a Nest Logger or console both work).');
  }
  return logger as DeliveryLogger;
}

/**
 * Validates and completes engine options. Throws `SpotzeeConfigurationError` with a how-to-fix message;
 * the Nest module calls it at start-up so misconfiguration fails fast.
 */
export function resolveDeliveryOptions(options: DeliveryOptions): ResolvedDeliveryOptions {
  if (options === null || typeof options !== 'object') {
    throw new SpotzeeConfigurationError(
      'options',
      'Spotzee options must be an object such as { apiKey: process.env.SPOTZEE_API_KEY }.',
    );
  }
  const dryRun = options.dryRun ?? false;
  if (typeof dryRun !== 'boolean') fail('dryRun', `expected true or false, got ${describeValue(dryRun)}.`);
  const hasApiKey = resolveApiKey(options, dryRun);
  const baseUrl = resolveBaseUrl(options.baseUrl);

  const apiVersion = options.apiVersion ?? DEFAULT_API_VERSION;
  if (typeof apiVersion !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(apiVersion)) {
    fail('apiVersion', `expected a date YYYY-MM-DD such as ${DEFAULT_API_VERSION}.`);
  }

  const overflow = options.overflow ?? DEFAULT_DELIVERY_OPTIONS.overflow;
  if (overflow !== 'drop-newest' && overflow !== 'drop-oldest') {
    fail('overflow', `expected 'drop-newest' or 'drop-oldest', got ${describeValue(overflow)}.`);
  }

  const numbers = {} as Record<NumericOption, number>;
  for (const [name, [min, max, why]] of Object.entries(RANGES) as [NumericOption, [number, number, string]][]) {
    numbers[name] = integerOption(options, name, min, max, why);
  }
  // Bounds that depend on other options: one event must always fit a batch, and the queue must hold one.
  // Unless set, the event cap shrinks with a small batch cap instead of making it an error.
  const eventDefault = Math.min(DEFAULT_DELIVERY_OPTIONS.maxEventBytes, numbers.maxBatchBytes - 2);
  numbers.maxEventBytes = integerOption(
    options,
    'maxEventBytes',
    64,
    numbers.maxBatchBytes - 2,
    'bytes of one serialised event; at most maxBatchBytes - 2',
    eventDefault,
  );
  numbers.maxQueueBytes = integerOption(
    options,
    'maxQueueBytes',
    numbers.maxEventBytes,
    1024 * 1024 * MIB,
    'bytes held in memory; at least maxEventBytes',
  );
  // Unset means no cap by count: the time budget alone decides.
  numbers.maxAttempts =
    options.maxAttempts === undefined || options.maxAttempts === null
      ? Infinity
      : integerOption(options, 'maxAttempts', 1, 100, 'attempts per batch, the first included');
  numbers.retryMaxMs = integerOption(
    options,
    'retryMaxMs',
    numbers.retryBaseMs,
    DAY,
    'the longest retry delay in ms; at least retryBaseMs',
  );

  return {
    baseUrl,
    apiVersion,
    dryRun,
    hasApiKey,
    overflow,
    ...numbers,
    logger: resolveLogger(options.logger),
  } as ResolvedDeliveryOptions;
}
