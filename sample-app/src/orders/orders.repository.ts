import { Injectable } from '@nestjs/common';
import type { Order } from './order.entity.js';

@Injectable()
export class OrdersRepository {
  private readonly orders = new Map<string, Order>();
  /** `<customerId> <Idempotency-Key>` -> order id, so a client retrying POST /orders gets its first order back. */
  private readonly byRequestKey = new Map<string, string>();
  private nextId = 1;

  nextOrderId(): string {
    return `ord_${this.nextId++}`;
  }

  save(order: Order, requestKey?: string): Order {
    this.orders.set(order.id, order);
    if (requestKey !== undefined) this.byRequestKey.set(`${order.customerId} ${requestKey}`, order.id);
    return order;
  }

  findById(id: string): Order | undefined {
    return this.orders.get(id);
  }

  findByRequestKey(customerId: string, requestKey: string): Order | undefined {
    const id = this.byRequestKey.get(`${customerId} ${requestKey}`);
    return id === undefined ? undefined : this.orders.get(id);
  }
}
