import { Body, Controller, Post } from '@nestjs/common';
import { EmitsEvent } from 'nestjs-spotzee';
import { AccountsService } from './accounts.service.js';
import { CreateAccountDto } from './dto/create-account.dto.js';
import type { SignedUpAccount } from './signed-up-account.js';

@Controller('accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  /**
   * The visitor is not signed in yet, so the default resolver only finds the `x-anonymous-id` header.
   * The new account's id exists only in the response: the `contact` mapper adds it as `external_id`,
   * and an event carrying both ids stitches the anonymous visitor to the new contact in Spotzee.
   */
  @Post()
  @EmitsEvent('signed_up', {
    contact: (account: SignedUpAccount) => ({ externalId: account.id }),
    identify: (account: SignedUpAccount) => ({ email: account.email, data: { name: account.name } }),
    data: () => ({ method: 'email' }),
    idempotencyKey: (account: SignedUpAccount) => `signed_up:${account.id}`,
  })
  signUp(@Body() dto: CreateAccountDto): SignedUpAccount {
    return this.accounts.signUp(dto);
  }
}
