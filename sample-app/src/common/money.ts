/** The shop sells in one currency. */
export const CURRENCY = 'EUR';

/** Amounts are kept in cents and sent to Spotzee in currency units, the way segments compare them. */
export function toAmount(cents: number): number {
  return cents / 100;
}
