import type { ExecutionContext } from '@nestjs/common';
import type { SpotzeeContact, SpotzeeContactResolver, SpotzeeUserId } from './spotzee-module-options.interface.js';

interface RequestLike {
  user?: unknown;
  /** Fastify: the Node request, where a Nest (middie) middleware puts what it sets. */
  raw?: { user?: unknown };
  headers?: Record<string, string | string[] | undefined>;
}

/** Where common auth setups keep the user's id: `id` (most apps), `userId` (passport-jwt samples), `sub` (a JWT payload). */
const USER_ID_FIELDS = ['id', 'userId', 'sub'] as const;

/**
 * The default resolver: the authenticated user's id is the contact's `external_id`, the visitor id
 * header is the `anonymous_id`. The user is `request.user` (guards, passport), or on Fastify the raw
 * request's `user` (set by a Nest middleware); its id is the `userId` option's field or function, else
 * the first of `id`, `userId`, `sub` present. Numeric ids are stringified: Spotzee ids are strings.
 */
export function createDefaultContactResolver(
  anonymousIdHeader: string,
  userId?: SpotzeeUserId,
): SpotzeeContactResolver {
  const header = anonymousIdHeader.toLowerCase();
  return (context: ExecutionContext): SpotzeeContact | undefined => {
    const request = requestOf(context);
    if (!request) {
      return undefined;
    }
    const user = userOf(request);
    return {
      externalId: typeof user === 'object' && user !== null ? idToString(userIdOf(user, userId, context)) : null,
      anonymousId: headerValue(request.headers?.[header]),
    };
  };
}

/**
 * Says what the default resolver found when it found no id, without quoting any value (user objects
 * hold personal data): used in the `missing_contact` rejection so the fix is obvious.
 */
export function describeUserLookup(context: ExecutionContext, userId: SpotzeeUserId | undefined): string {
  const request = requestOf(context);
  if (!request) {
    return `a ${context.getType<string>()} handler has no request.user: give the ids in the @EmitsEvent contact mapper or in track()`;
  }
  const user = userOf(request);
  const where = request.user === undefined && request.raw?.user !== undefined ? 'request.raw.user' : 'request.user';
  if (user === undefined || user === null) {
    return (
      `request.user is ${user === null ? 'null' : 'not set'} (no auth guard on this route?) and no anonymous id header was sent. ` +
      'If your auth keeps the user somewhere else, set the contact option: (context) => ({ externalId })'
    );
  }
  if (typeof user !== 'object') {
    return `${where} is a ${typeof user}, not an object. Set the contact option: (context) => ({ externalId })`;
  }
  const fields = Object.keys(user).slice(0, 12);
  const has = fields.length > 0 ? `has the fields ${fields.join(', ')}` : 'is an empty object';
  if (userId !== undefined) {
    const by = typeof userId === 'string' ? `field "${userId}"` : 'function';
    return `${where} ${has}, and the userId option's ${by} gave no usable id. Fix the userId option (a field name or (user) => id)`;
  }
  return (
    `${where} ${has}, but none of ${USER_ID_FIELDS.join(', ')}. ` +
    "Name the field that holds the id with the userId option (userId: 'accountId', or userId: (user) => user.account.id)"
  );
}

function userOf(request: RequestLike): unknown {
  return request.user ?? request.raw?.user;
}

function userIdOf(user: object, userId: SpotzeeUserId | undefined, context: ExecutionContext): unknown {
  if (typeof userId === 'function') {
    return userId(user, context);
  }
  const record = user as Record<string, unknown>;
  if (typeof userId === 'string') {
    return record[userId];
  }
  return record.id ?? record.userId ?? record.sub;
}

function requestOf(context: ExecutionContext): RequestLike | undefined {
  switch (context.getType<string>()) {
    case 'http':
      // By index, as `switchToHttp().getRequest()` does, without the object and closures it builds per call.
      return context.getArgByIndex<RequestLike>(0);
    case 'graphql': {
      // Apollo puts the HTTP request on the GraphQL context as `req`, Mercurius as `reply.request`.
      const gqlContext = context.getArgByIndex<
        { req?: RequestLike; request?: RequestLike; reply?: { request?: RequestLike }; user?: unknown } | undefined
      >(2);
      const request = gqlContext?.req ?? gqlContext?.request ?? gqlContext?.reply?.request;
      if (!request && gqlContext?.user) {
        return { user: gqlContext.user };
      }
      return request;
    }
    default:
      // RPC payloads and WebSocket clients have no standard place for a user: ids come from mappers.
      return undefined;
  }
}

function idToString(id: unknown): string | null {
  if (typeof id === 'string') {
    return id.length > 0 ? id : null;
  }
  if ((typeof id === 'number' && Number.isFinite(id)) || typeof id === 'bigint') {
    return String(id);
  }
  return null;
}

function headerValue(value: string | string[] | undefined): string | null {
  const first = Array.isArray(value) ? value[0] : value;
  const trimmed = first?.trim();
  return trimmed ? trimmed : null;
}

/** Overlays the ids a mapper returned (an explicit `null` clears one) on top of the resolved contact. */
export function mergeContact(base: SpotzeeContact, override: SpotzeeContact | undefined): SpotzeeContact {
  if (!override) {
    return base;
  }
  return {
    externalId: override.externalId !== undefined ? override.externalId : base.externalId,
    anonymousId: override.anonymousId !== undefined ? override.anonymousId : base.anonymousId,
  };
}
