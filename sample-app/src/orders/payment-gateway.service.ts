import { Injectable } from '@nestjs/common';

export type ChargeResult = { approved: true; chargeId: string } | { approved: false; declineCode: string };

/**
 * A stand-in for a card processor, with the usual test-card convention: numbers ending in 0002 are
 * declined, every other well-formed number is approved.
 */
@Injectable()
export class PaymentGateway {
  private nextCharge = 1;

  charge(cardNumber: string, _amountCents: number, _currency: string): ChargeResult {
    if (cardNumber.endsWith('0002')) return { approved: false, declineCode: 'card_declined' };
    return { approved: true, chargeId: `ch_${this.nextCharge++}` };
  }
}
