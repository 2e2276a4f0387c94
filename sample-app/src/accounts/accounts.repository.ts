import { Injectable } from '@nestjs/common';
import type { Account } from './account.entity.js';

/** In memory, so the sample runs without a database; ids are sequential to keep demo output readable. */
@Injectable()
export class AccountsRepository {
  private readonly accounts = new Map<string, Account>();
  private nextId = 1001;

  create(email: string, name: string): Account {
    const account: Account = { id: String(this.nextId++), email, name, createdAt: new Date() };
    this.accounts.set(account.id, account);
    return account;
  }

  findById(id: string): Account | undefined {
    return this.accounts.get(id);
  }

  findByEmail(email: string): Account | undefined {
    for (const account of this.accounts.values()) {
      if (account.email === email) return account;
    }
    return undefined;
  }
}
