import { ConflictException, Injectable } from '@nestjs/common';
import { demoTokenFor } from '../auth/demo-token.js';
import { AccountsRepository } from './accounts.repository.js';
import type { CreateAccountDto } from './dto/create-account.dto.js';
import type { SignedUpAccount } from './signed-up-account.js';

@Injectable()
export class AccountsService {
  constructor(private readonly accounts: AccountsRepository) {}

  signUp(dto: CreateAccountDto): SignedUpAccount {
    const email = dto.email.trim().toLowerCase();
    if (this.accounts.findByEmail(email) !== undefined) {
      throw new ConflictException(`An account already exists for ${email}.`);
    }
    const account = this.accounts.create(email, dto.name.trim());
    return {
      id: account.id,
      email: account.email,
      name: account.name,
      createdAt: account.createdAt.toISOString(),
      token: demoTokenFor(account.id),
    };
  }
}
