export type PlanId = 'basic' | 'pro';

export const PLAN_IDS: readonly PlanId[] = ['basic', 'pro'];

/** Monthly prices, in cents. */
export const PLAN_PRICES_CENTS: Readonly<Record<PlanId, number>> = { basic: 900, pro: 2900 };
