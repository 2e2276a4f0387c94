import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedUser, ShopRequest } from './authenticated-user.js';

/** The user DemoAuthGuard attached; only valid on guarded routes. */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): AuthenticatedUser => {
  const user = context.switchToHttp().getRequest<ShopRequest>().user;
  if (user === undefined) throw new Error('CurrentUser used on a route without DemoAuthGuard');
  return user;
});
