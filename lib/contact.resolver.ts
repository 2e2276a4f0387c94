import type { ExecutionContext } from '@nestjs/common';
import type { SpotzeeContact, SpotzeeContactResolver } from './spotzee-module-options.interface.js';

interface RequestLike {
  user?: { id?: unknown } | null;
  headers?: Record<string, string | string[] | undefined>;
}

/**
 * The default resolver: the authenticated user's id (set by guards/passport as `request.user.id`)
 * is the contact's `external_id`; the visitor id header is the `anonymous_id`. Ids are stringified
 * because Spotzee ids are strings and numeric primary keys are common.
 */
export function createDefaultContactResolver(anonymousIdHeader: string): SpotzeeContactResolver {
  const header = anonymousIdHeader.toLowerCase();
  return (context: ExecutionContext): SpotzeeContact | undefined => {
    const request = requestOf(context);
    if (!request) {
      return undefined;
    }
    return {
      externalId: idToString(request.user?.id),
      anonymousId: headerValue(request.headers?.[header]),
    };
  };
}

function requestOf(context: ExecutionContext): RequestLike | undefined {
  switch (context.getType<string>()) {
    case 'http':
      // By index, as `switchToHttp().getRequest()` does, without the object and closures it builds per call.
      return context.getArgByIndex<RequestLike>(0);
    case 'graphql': {
      // Apollo puts the HTTP request on the GraphQL context as `req`, Mercurius as `reply.request`.
      const gqlContext = context.getArgByIndex<
        | { req?: RequestLike; request?: RequestLike; reply?: { request?: RequestLike }; user?: RequestLike['user'] }
        | undefined
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
  if (typeof id === 'number' || typeof id === 'bigint') {
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
