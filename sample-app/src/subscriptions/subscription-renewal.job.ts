import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { SubscriptionsService } from './subscriptions.service.js';

const HOURLY = 60 * 60 * 1000;

@Injectable()
export class SubscriptionRenewalJob {
  private readonly logger = new Logger(SubscriptionRenewalJob.name);

  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Interval('subscription-renewals', HOURLY)
  run(): void {
    const renewed = this.subscriptions.renewDue(new Date());
    if (renewed.length > 0) this.logger.log(`Renewed ${renewed.length} subscription(s)`);
  }
}
