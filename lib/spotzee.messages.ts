import { describeValue } from './delivery/describe-value.js';

/**
 * Every sentence the Nest layer says, in one place, so wording stays consistent and tests can assert
 * it. Each problem message names where it comes from and how to fix it. None of them ever includes
 * the API key: callers only pass names, routes and reasons.
 */

const SNAKE_CASE_HINT =
  'Spotzee names are snake_case verbs in the past tense, like order_placed or subscription_renewed';

export const messages = {
  optionsNotAnObject: () =>
    'SpotzeeModule options must be an object, e.g. SpotzeeModule.forRoot({ apiKey: process.env.SPOTZEE_API_KEY }).',
  optionNotFunction: () =>
    'expected a function (context: ExecutionContext) => ({ externalId, anonymousId }); remove it to use the default (request.user.id and the anonymous id header).',
  optionOutOfRange: (min: number, max: number, what: string, value: unknown) =>
    `expected a whole number from ${min} to ${max} (${what}), got ${describeValue(value)}.`,
  optionNotBoolean: (value: unknown) => `expected true or false, got ${describeValue(value)}.`,
  userIdWithContact: () =>
    'userId tells the default contact resolver where the id is; with your own contact resolver, read the id there and remove userId.',
  invalidUserId: (value: unknown) =>
    `expected the name of the request.user field that holds the id (e.g. 'accountId') or a function (user) => id, got ${describeValue(value)}.`,
  invalidAnonymousIdHeader: (value: unknown) =>
    `expected an HTTP header name such as "x-anonymous-id", got ${describeValue(value)}.`,
  invalidEventNamePolicy: (value: unknown) => `expected 'warn', 'strict' or 'off', got ${describeValue(value)}.`,
  invalidRequestContextPolicy: (value: unknown) =>
    `expected 'auto' or 'always', got ${describeValue(value)}. 'always' gives every HTTP request a context even when no class injects SpotzeeTracker.`,
  invalidCatalogPolicy: (value: unknown) =>
    `expected 'off', 'warn' or 'strict', got ${describeValue(value)}. 'warn' and 'strict' check events against spotzee-events.json (npx nestjs-spotzee catalog).`,
  catalogFileMissing: (path: string, policy: string) =>
    `catalog: '${policy}' checks events against the committed snapshot, and there is none at ${path}. ` +
    'Generate it with npx nestjs-spotzee catalog and commit it, or point catalogFile at it (a path, or the parsed JSON).',
  catalogFileInvalid: (detail: string) => `catalogFile: ${detail}`,
  invalidMetricsOption: (value: unknown) =>
    `expected true, false or { meterProvider?, maxEventNames? }, got ${describeValue(value)}.`,
  invalidMeterProvider: (value: unknown) =>
    `expected an OpenTelemetry MeterProvider (an object with getMeter()), got ${describeValue(value)}; omit it to use the global one.`,
  invalidMaxEventNames: (value: unknown) => `expected a positive integer, got ${describeValue(value)}.`,
  invalidSchemasOption: (value: unknown) =>
    `expected an object mapping event names to schemas, e.g. { order_placed: OrderPlacedSchema }, got ${describeValue(value)}.`,
  invalidSchemaEntry: (value: unknown) =>
    `expected a Standard Schema (zod, valibot, arktype…) or a class-validator DTO class, got ${describeValue(value)}.`,
  invalidStore: () =>
    `expected a queue store instance such as new FileEventStore({ directory: '.spotzee' }) (from 'nestjs-spotzee') ` +
    `or new RedisEventStore({ … }) (from 'nestjs-spotzee/redis').`,

  nestTooOld: () =>
    'nestjs-spotzee requires Nest 11 or later: the installed @nestjs/core is older (its MetadataScanner has no getAllMethodNames()). ' +
    'Upgrade @nestjs/common and @nestjs/core to ^11 or ^12 (peer dependencies of nestjs-spotzee; installing with --legacy-peer-deps skips that check).',
  dataMapperOnlyUndefined: (name: string, source: string, keys: readonly string[]) =>
    `The "data" mapper of @EmitsEvent('${name}') on ${source} returned only undefined fields (${keys.join(', ')}), so the event carries "data": {}. ` +
    "Mappers receive the handler's own return value; check the fields it reads exist on it. (Said once per route.)",

  decoratorBadName: (where: string, name: unknown) =>
    `${where}: @EmitsEvent() needs a non-empty event name string, got ${describeValue(name)}. ${SNAKE_CASE_HINT}.`,
  decoratorNameTooLong: (where: string, name: string, max: number) =>
    `${where}: @EmitsEvent('${name.slice(0, 40)}…') has a ${name.length}-character name; the limit is ${max} (option maxNameLength). Use a shorter name.`,
  decoratorBadOptions: (where: string, name: string, value: unknown) =>
    `${where}: @EmitsEvent('${name}', options) needs an options object or nothing, got ${describeValue(value)}.`,
  decoratorUnknownOption: (where: string, name: string, option: string, known: readonly string[]) =>
    `${where}: @EmitsEvent('${name}') has an unknown option "${option}". Known options: ${known.join(', ')}.`,
  decoratorNotFunction: (where: string, name: string, option: string, value: unknown) =>
    `${where}: @EmitsEvent('${name}') option "${option}" must be a function (result, context) => …, got ${describeValue(value)}.`,
  decoratorBadSchema: (where: string, name: string) =>
    `${where}: @EmitsEvent('${name}') option "schema" must be a Standard Schema (zod, valibot, arktype…) or a class-validator DTO class.`,
  decoratorMisplaced: (where: string, name: string) =>
    `${where}: @EmitsEvent('${name}') is on a provider method, where no interceptor runs, so it will never send anything. ` +
    'Put it on a controller, resolver or gateway handler, or call SpotzeeTracker.track() from the service.',
  nameNotSnakeCase: (name: string, where: readonly string[]) =>
    `Event name "${name}" (${where.join(', ')}) is not snake_case. ${SNAKE_CASE_HINT}; ` +
    "journeys and segments match names exactly, so choose it before launch. Set eventNames: 'strict' to fail instead, or 'off' to silence this.",
  nameNotSnakeCaseStrict: (name: string, where: readonly string[]) =>
    `Event name "${name}" (${where.join(', ')}) is not snake_case and the module uses eventNames: 'strict'. ${SNAKE_CASE_HINT}.`,
  classValidatorMissing: (users: readonly string[], cause: string) =>
    `A class-validator DTO is used as an event schema (${users.join(', ')}) but class-validator/class-transformer could not be loaded (${cause}). ` +
    'Install them (npm install class-validator class-transformer) or use a Standard Schema such as zod.',

  mapperThrew: (option: string, name: string, source: string, error: unknown) =>
    `The "${option}" mapper of @EmitsEvent('${name}') on ${source} threw: ${describeError(error)}. ` +
    'The request was not affected and the event was not sent; fix the mapper (it receives the handler result and the ExecutionContext).',
  mapperReturnedNonObject: (option: string, name: string, source: string, value: unknown) =>
    `The "${option}" mapper of @EmitsEvent('${name}') on ${source} returned ${describeValue(value)}; it must return an object or undefined.`,
  schemaFailed: (name: string, source: string, problem: string) =>
    `Event "${name}" from ${source} does not match its schema: ${problem}. The event was not sent; fix the data or the schema.`,
  schemaThrew: (name: string, source: string, error: unknown) =>
    `The schema of event "${name}" from ${source} threw while validating: ${describeError(error)}. The event was not sent.`,
  strictNameRejected: (name: string, source: string) =>
    `Event "${name}" from ${source} is not snake_case and the module uses eventNames: 'strict'. The event was not sent. ${SNAKE_CASE_HINT}.`,
  notInCatalog: (name: string, source: string, problem: string, mode: 'strict' | 'warn') =>
    `Event "${name}" from ${source} does not match the catalogue (spotzee-events.json): ${problem}. ` +
    (mode === 'strict'
      ? "The event was not sent (catalog: 'strict'). "
      : "It was sent anyway (catalog: 'warn'); this is said once per event name. ") +
    'Declare the change in SpotzeeEvents, run npx nestjs-spotzee catalog and commit the snapshot, or fix the data.',
  trackerFailed: (name: unknown, error: unknown) =>
    `SpotzeeTracker.track(${describeValue(name)}) failed unexpectedly and the event was not sent: ${describeError(error)}.`,
  missingContact: (event: string, hint: string) =>
    `Spotzee event ${event} rejected: it has neither externalId nor anonymousId. ${hint}.`,
  giveContactIds: () => "Pass the contact's id from your database as externalId, or a visitor id as anonymousId",
  customResolverFoundNoId: () =>
    'The contact option (your resolver) returned neither id for this request; or give them in the @EmitsEvent contact mapper or in track()',
  contactResolverThrew: (source: string, error: unknown) =>
    `The contact resolver threw for ${source}: ${describeError(error)}. Events of this request carry no resolved contact ids.`,

  internalError: (source: string, error: unknown) =>
    `Capturing the events of ${source} failed: ${describeError(error)}. The request was not affected; please report this as a bug.`,
  mapperTimedOut: (option: string, name: string, source: string, ms: number) =>
    `The "${option}" mapper of @EmitsEvent('${name}') on ${source} did not settle within ${ms} ms (asyncTimeoutMs). ` +
    'The request was not affected and the event was not sent.',
  schemaTimedOut: (name: string, source: string, ms: number) =>
    `The schema of event "${name}" from ${source} did not settle within ${ms} ms (asyncTimeoutMs). The event was not sent.`,
  contactResolverTimedOut: (source: string, ms: number) =>
    `The contact resolver did not settle within ${ms} ms (asyncTimeoutMs) for ${source}. Events of this request carry no resolved contact ids.`,
  lostAtExit: (count: number) =>
    `Spotzee: the process is exiting with ${count} event${count === 1 ? '' : 's'} not yet delivered (queued, in flight or being validated); ` +
    'they are lost. Close the app (app.close(), or app.enableShutdownHooks() for signals) so the queue drains before the process ends.',
  drainFailed: (error: unknown) => `Shutdown drain failed: ${describeError(error)}.`,
};

function describeError(error: unknown): string {
  if (error instanceof Error) {
    return `${error.name}: ${error.message}`;
  }
  return describeValue(error);
}
