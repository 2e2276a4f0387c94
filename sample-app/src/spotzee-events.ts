/**
 * The shop's event catalogue: every event it sends to Spotzee, with the shape of its `data`.
 * `@EmitsEvent()` and `SpotzeeTracker.track()` only compile for these names and shapes, and
 * `npx nestjs-spotzee catalog` writes them, with where each is sent from, to ../spotzee-events.json.
 */
import type { PlanId } from './subscriptions/plans.js';

declare module 'nestjs-spotzee' {
  interface SpotzeeEvents {
    /** A visitor created an account (the event that stitches their anonymous visits to the new contact). */
    signed_up: {
      /** How they signed up. */
      method: 'email';
    };
    /** A customer placed an order; it is not paid yet. */
    order_placed: {
      order_id: string;
      /** Order total in currency units (12.5 is 12.50 EUR). */
      total: number;
      /** ISO 4217 code. */
      currency: string;
      /** Number of items, quantities summed. */
      items: number;
      skus: string[];
    };
    /** A placed order was paid. */
    order_paid: {
      order_id: string;
      /** Amount paid in currency units. */
      amount: number;
      currency: string;
    };
    /** A customer cancelled an unpaid order. */
    order_cancelled: {
      order_id: string;
      /** The customer's reason, when they gave one. */
      reason: string | null;
    };
    /** A customer started a monthly subscription. */
    subscription_started: {
      subscription_id: string;
      plan: PlanId;
      /** Monthly price in currency units. */
      amount: number;
      currency: string;
    };
    /** A subscription renewed for another month (sent by the hourly renewal job). */
    subscription_renewed: {
      subscription_id: string;
      plan: PlanId;
      amount: number;
      currency: string;
      /** When the new period ends (ISO 8601). */
      period_end: string;
    };
  }
}
