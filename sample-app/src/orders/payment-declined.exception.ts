import { HttpException, HttpStatus } from '@nestjs/common';

export class PaymentDeclinedException extends HttpException {
  constructor(orderId: string, declineCode: string) {
    super(
      {
        statusCode: HttpStatus.PAYMENT_REQUIRED,
        error: 'Payment Required',
        code: declineCode,
        message: `The card was declined for order ${orderId}.`,
      },
      HttpStatus.PAYMENT_REQUIRED,
    );
  }
}
