import { Injectable } from '@nestjs/common';
import type { Subscription } from './subscription.entity.js';

@Injectable()
export class SubscriptionsRepository {
  private readonly subscriptions = new Map<string, Subscription>();
  private nextId = 1;

  nextSubscriptionId(): string {
    return `sub_${this.nextId++}`;
  }

  save(subscription: Subscription): Subscription {
    this.subscriptions.set(subscription.id, subscription);
    return subscription;
  }

  findActiveByAccount(accountId: string): Subscription | undefined {
    for (const subscription of this.subscriptions.values()) {
      if (subscription.accountId === accountId && subscription.status === 'active') return subscription;
    }
    return undefined;
  }

  findDue(asOf: Date): Subscription[] {
    return [...this.subscriptions.values()].filter(
      (subscription) => subscription.status === 'active' && Date.parse(subscription.currentPeriodEnd) <= asOf.getTime(),
    );
  }
}
