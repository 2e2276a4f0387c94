import { ConflictException, Injectable } from '@nestjs/common';
import { SpotzeeTracker } from 'nestjs-spotzee';
import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import { CURRENCY, toAmount } from '../common/money.js';
import { addOneMonth } from './billing-period.js';
import type { StartSubscriptionDto } from './dto/start-subscription.dto.js';
import { PLAN_PRICES_CENTS } from './plans.js';
import type { Subscription } from './subscription.entity.js';
import { SubscriptionsRepository } from './subscriptions.repository.js';

@Injectable()
export class SubscriptionsService {
  constructor(
    private readonly subscriptions: SubscriptionsRepository,
    private readonly spotzee: SpotzeeTracker,
  ) {}

  start(customer: AuthenticatedUser, dto: StartSubscriptionDto): Subscription {
    if (this.subscriptions.findActiveByAccount(customer.id) !== undefined) {
      throw new ConflictException('This account already has an active subscription.');
    }
    const now = new Date();
    return this.subscriptions.save({
      id: this.subscriptions.nextSubscriptionId(),
      accountId: customer.id,
      plan: dto.plan,
      priceCents: PLAN_PRICES_CENTS[dto.plan],
      currency: CURRENCY,
      status: 'active',
      startedAt: now.toISOString(),
      currentPeriodEnd: addOneMonth(now).toISOString(),
    });
  }

  /**
   * Renews every subscription whose period has ended by `asOf`, one period per call. This runs from
   * a timer, outside any HTTP request, so there is no signed-in user to resolve: the event names its
   * contact explicitly, and `track()` hands it to the delivery queue at once.
   */
  renewDue(asOf: Date = new Date()): Subscription[] {
    return this.subscriptions.findDue(asOf).map((due) => {
      const periodStart = due.currentPeriodEnd;
      const renewed = this.subscriptions.save({
        ...due,
        currentPeriodEnd: addOneMonth(new Date(periodStart)).toISOString(),
      });
      this.spotzee.track('subscription_renewed', {
        externalId: renewed.accountId,
        data: {
          subscription_id: renewed.id,
          plan: renewed.plan,
          amount: toAmount(renewed.priceCents),
          currency: renewed.currency,
          period_end: renewed.currentPeriodEnd,
        },
        // One key per subscription and period: a job that runs twice for the same period sends once.
        idempotencyKey: `subscription_renewed:${renewed.id}:${periodStart}`,
      });
      return renewed;
    });
  }
}
