import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { AccountsRepository } from '../accounts/accounts.repository.js';
import type { ShopRequest } from './authenticated-user.js';
import { accountIdFromAuthorization } from './demo-token.js';

/**
 * Sets `request.user = { id, email }`, which is where SpotzeeModule's default contact resolver looks
 * for the `external_id` of every event the request emits.
 */
@Injectable()
export class DemoAuthGuard implements CanActivate {
  constructor(private readonly accounts: AccountsRepository) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<ShopRequest>();
    const accountId = accountIdFromAuthorization(request.headers.authorization);
    const account = accountId === null ? undefined : this.accounts.findById(accountId);
    if (account === undefined) {
      throw new UnauthorizedException(
        'Send "Authorization: Bearer user_<accountId>" (the token POST /accounts returned).',
      );
    }
    request.user = { id: account.id, email: account.email };
    return true;
  }
}
