export type OrderStatus = 'placed' | 'paid' | 'cancelled';

export interface OrderLine {
  sku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
}

/** Returned as is by the API, so the event mappers read exactly what the client sees. */
export interface Order {
  id: string;
  customerId: string;
  customer: { email: string };
  lines: OrderLine[];
  totalCents: number;
  currency: string;
  status: OrderStatus;
  placedAt: string;
  paidAt?: string;
  cancelledAt?: string;
  cancellationReason?: string;
}
