import { Matches } from 'class-validator';

export class PayOrderDto {
  @Matches(/^\d{12,19}$/, { message: 'cardNumber must be 12 to 19 digits' })
  cardNumber!: string;
}
