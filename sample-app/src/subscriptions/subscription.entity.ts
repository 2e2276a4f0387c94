import type { PlanId } from './plans.js';

export interface Subscription {
  id: string;
  accountId: string;
  plan: PlanId;
  priceCents: number;
  currency: string;
  status: 'active';
  startedAt: string;
  /** Renewal is due once this moment has passed. */
  currentPeriodEnd: string;
}
