import type { IncomingHttpHeaders } from 'node:http';

/** What the guard attaches to the request; `id` is what Spotzee receives as `external_id`. */
export interface AuthenticatedUser {
  id: string;
  email: string;
}

/** The slice of the Express request the shop reads (the app does not depend on Express' types). */
export interface ShopRequest {
  headers: IncomingHttpHeaders;
  user?: AuthenticatedUser;
}
