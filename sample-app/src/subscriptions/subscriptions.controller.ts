import { Body, Controller, Post, UseGuards } from '@nestjs/common';
import { EmitsEvent } from 'nestjs-spotzee';
import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { DemoAuthGuard } from '../auth/demo-auth.guard.js';
import { toAmount } from '../common/money.js';
import { StartSubscriptionDto } from './dto/start-subscription.dto.js';
import type { Subscription } from './subscription.entity.js';
import { SubscriptionsService } from './subscriptions.service.js';

@Controller('subscriptions')
@UseGuards(DemoAuthGuard)
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Post()
  @EmitsEvent('subscription_started', {
    data: (subscription: Subscription) => ({
      subscription_id: subscription.id,
      plan: subscription.plan,
      amount: toAmount(subscription.priceCents),
      currency: subscription.currency,
    }),
    // `user.data` upserts custom attributes on the contact, so segments can filter on the plan.
    identify: (subscription: Subscription) => ({ data: { plan: subscription.plan } }),
    idempotencyKey: (subscription: Subscription) => `subscription_started:${subscription.id}`,
  })
  start(@CurrentUser() user: AuthenticatedUser, @Body() dto: StartSubscriptionDto): Subscription {
    return this.subscriptions.start(user, dto);
  }
}
