import { createRedactor, resolveDeliveryOptions, SpotzeeConfigurationError } from './delivery/index.js';
import type { DeliveryOptions } from './delivery/delivery-options.js';
import { invalidOptionError } from './delivery/errors.js';
import type { EventQueueStore } from './delivery/queue/event-queue-store.js';
import { loadRuntimeCatalog } from './catalog/load-runtime-catalog.js';
import type { CatalogPolicy, RuntimeCatalog } from './catalog/runtime-catalog.js';
import { createDefaultContactResolver } from './contact.resolver.js';
import { isSpotzeeSchema, type SpotzeeSchema } from './event-schema.js';
import { DEFAULT_ANONYMOUS_ID_HEADER } from './spotzee.constants.js';
import type { SpotzeeMetricsOptions } from './metrics/meter-provider.loader.js';
import { messages } from './spotzee.messages.js';
import type {
  EventNamePolicy,
  RequestContextPolicy,
  SpotzeeContactResolver,
  SpotzeeModuleOptions,
  SpotzeeUserId,
} from './spotzee-module-options.interface.js';

/** The module options, validated once at start-up, with every default applied. */
export interface SpotzeeSettings {
  /** What the engine is built from. Non-enumerable: it holds the API key and must not show up when settings are logged. */
  readonly delivery: DeliveryOptions;
  readonly contact: SpotzeeContactResolver;
  /** Whether `contact` is the default resolver, which can say what it found when it found no id. */
  readonly defaultContact: boolean;
  readonly userId: SpotzeeUserId | undefined;
  readonly sendOnFailedRequest: boolean;
  readonly globalInterceptor: boolean;
  readonly requestContext: RequestContextPolicy;
  readonly eventNames: EventNamePolicy;
  readonly schemas: ReadonlyMap<string, SpotzeeSchema>;
  readonly catalogPolicy: CatalogPolicy;
  /** The committed snapshot, loaded at start-up when `catalog` is not `off`. */
  readonly catalog: RuntimeCatalog | undefined;
  readonly maxNameLength: number;
  readonly shutdownDeadlineMs: number;
  /** The queue store from the `store` option; undefined for the default memory store. */
  readonly store: EventQueueStore | undefined;
  /** Bound on each async mapper, contact resolver and schema. */
  readonly asyncTimeoutMs: number;
  /** Bounds on the events one request holds before its verdict. */
  readonly maxRequestEvents: number;
  readonly maxRequestBytes: number;
  /** `false`: off; otherwise where to record (the global provider when `meterProvider` is absent). */
  readonly metrics: false | SpotzeeMetricsOptions;
}

/** Nest-layer numeric options: [default, min, max, what it counts]. */
const NEST_NUMBERS = {
  asyncTimeoutMs: [5_000, 1, 10 * 60_000, 'milliseconds an async mapper, contact resolver or schema may take'],
  maxRequestEvents: [10_000, 1, 10_000_000, 'events one request may hold until its verdict'],
  maxRequestBytes: [
    8 * 1024 * 1024,
    1024,
    1024 * 1024 * 1024,
    'bytes of events one request may hold until its verdict',
  ],
} as const;

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const NEST_ONLY_OPTIONS = [
  'contact',
  'userId',
  'anonymousIdHeader',
  'sendOnFailedRequest',
  'globalInterceptor',
  'requestContext',
  'eventNames',
  'schemas',
  'store',
  'asyncTimeoutMs',
  'maxRequestEvents',
  'maxRequestBytes',
  'catalog',
  'catalogFile',
  'metrics',
] as const;

/**
 * Validates the module options and fails the boot with a message that says how to fix them. The
 * delivery options go through the engine's own validation, so both layers agree on what is valid
 * and word it the same way.
 */
export function createSpotzeeSettings(options: SpotzeeModuleOptions): SpotzeeSettings {
  try {
    return validateSettings(options);
  } catch (error) {
    // Messages quote the offending value so the fix is obvious; a key pasted into the wrong option
    // (a config mix-up) must still never be printed.
    if (error instanceof Error) {
      const redact = createRedactor(typeof options?.apiKey === 'string' ? options.apiKey : undefined);
      error.message = redact(error.message);
      if (error.stack !== undefined) error.stack = redact(error.stack);
      // `option` can quote user input too (a schema map keyed by the key itself).
      if (error instanceof SpotzeeConfigurationError) {
        Object.defineProperty(error, 'option', { value: redact(error.option) });
      }
    }
    throw error;
  }
}

function validateSettings(options: SpotzeeModuleOptions): SpotzeeSettings {
  if (typeof options !== 'object' || options === null) {
    throw new SpotzeeConfigurationError('options', messages.optionsNotAnObject());
  }
  if (options.contact !== undefined && typeof options.contact !== 'function') {
    throw invalidOptionError('contact', messages.optionNotFunction());
  }
  if (options.userId !== undefined) {
    if (options.contact !== undefined) {
      throw invalidOptionError('userId', messages.userIdWithContact());
    }
    const valid =
      typeof options.userId === 'function' || (typeof options.userId === 'string' && options.userId.trim() !== '');
    if (!valid) {
      throw invalidOptionError('userId', messages.invalidUserId(options.userId));
    }
  }
  const anonymousIdHeader = options.anonymousIdHeader ?? DEFAULT_ANONYMOUS_ID_HEADER;
  if (typeof anonymousIdHeader !== 'string' || !HEADER_NAME.test(anonymousIdHeader)) {
    throw invalidOptionError('anonymousIdHeader', messages.invalidAnonymousIdHeader(options.anonymousIdHeader));
  }
  for (const flag of ['sendOnFailedRequest', 'globalInterceptor'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') {
      throw invalidOptionError(flag, messages.optionNotBoolean(options[flag]));
    }
  }
  const requestContext = options.requestContext ?? 'auto';
  if (requestContext !== 'auto' && requestContext !== 'always') {
    throw invalidOptionError('requestContext', messages.invalidRequestContextPolicy(options.requestContext));
  }
  const eventNames = options.eventNames ?? 'warn';
  if (!['warn', 'strict', 'off'].includes(eventNames)) {
    throw invalidOptionError('eventNames', messages.invalidEventNamePolicy(options.eventNames));
  }
  const schemas = new Map<string, SpotzeeSchema>();
  if (options.schemas !== undefined) {
    if (typeof options.schemas !== 'object' || options.schemas === null || Array.isArray(options.schemas)) {
      throw invalidOptionError('schemas', messages.invalidSchemasOption(options.schemas));
    }
    for (const [name, schema] of Object.entries(options.schemas)) {
      if (!isSpotzeeSchema(schema)) {
        throw invalidOptionError(`schemas.${name}`, messages.invalidSchemaEntry(schema));
      }
      schemas.set(name, schema);
    }
  }

  if (options.store !== undefined && !isQueueStore(options.store)) {
    throw invalidOptionError('store', messages.invalidStore());
  }
  const numbers = {} as Record<keyof typeof NEST_NUMBERS, number>;
  for (const [option, [fallback, min, max, what]] of Object.entries(NEST_NUMBERS) as Array<
    [keyof typeof NEST_NUMBERS, readonly [number, number, number, string]]
  >) {
    const value = options[option] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw invalidOptionError(option, messages.optionOutOfRange(min, max, what, options[option]));
    }
    numbers[option] = value;
  }
  const catalogPolicy = options.catalog ?? 'off';
  if (!['warn', 'strict', 'off'].includes(catalogPolicy)) {
    throw invalidOptionError('catalog', messages.invalidCatalogPolicy(options.catalog));
  }
  const catalog = catalogPolicy === 'off' ? undefined : loadRuntimeCatalog(options.catalogFile, catalogPolicy);

  const metrics = validateMetrics(options.metrics);

  const delivery: DeliveryOptions = { ...options };
  for (const key of NEST_ONLY_OPTIONS) {
    delete (delivery as Record<string, unknown>)[key];
  }
  // Throws the engine's own SpotzeeConfigurationError (same wording, never the key) for bad delivery options.
  const resolved = resolveDeliveryOptions(delivery);

  const settings: Omit<SpotzeeSettings, 'delivery'> = {
    contact: options.contact ?? createDefaultContactResolver(anonymousIdHeader, options.userId),
    defaultContact: options.contact === undefined,
    userId: options.userId,
    sendOnFailedRequest: options.sendOnFailedRequest ?? false,
    globalInterceptor: options.globalInterceptor ?? true,
    requestContext,
    eventNames,
    schemas,
    catalogPolicy,
    catalog,
    maxNameLength: resolved.maxNameLength,
    shutdownDeadlineMs: resolved.shutdownDeadlineMs,
    store: options.store,
    ...numbers,
    metrics,
  };
  // A non-enumerable getter: JSON, default inspect and even `inspect(…, { showHidden: true })` (which
  // shows hidden getters as [Getter] without calling them) never print the key it holds.
  Object.defineProperty(settings, 'delivery', { get: () => delivery, enumerable: false });
  return Object.freeze(settings as SpotzeeSettings);
}

/** By shape, not `instanceof`: the store may come from the other build (ESM/CJS) of the package. */
function isQueueStore(value: unknown): value is EventQueueStore {
  if (typeof value !== 'object' || value === null) return false;
  const store = value as Record<string, unknown>;
  return ['append', 'take', 'peek', 'shift', 'frozen', 'acknowledge', 'release', 'recover', 'close'].every(
    (method) => typeof store[method] === 'function',
  );
}

function validateMetrics(value: SpotzeeModuleOptions['metrics']): false | SpotzeeMetricsOptions {
  if (value === undefined || value === true) return {};
  if (value === false) return false;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidOptionError('metrics', messages.invalidMetricsOption(value));
  }
  const { meterProvider, maxEventNames } = value;
  if (meterProvider !== undefined && typeof (meterProvider as { getMeter?: unknown })?.getMeter !== 'function') {
    throw invalidOptionError('metrics.meterProvider', messages.invalidMeterProvider(meterProvider));
  }
  if (maxEventNames !== undefined && !(Number.isInteger(maxEventNames) && maxEventNames > 0)) {
    throw invalidOptionError('metrics.maxEventNames', messages.invalidMaxEventNames(maxEventNames));
  }
  return { ...value };
}
