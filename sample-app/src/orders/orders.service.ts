import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import { CURRENCY } from '../common/money.js';
import { CATALOG } from './catalog.js';
import type { CancelOrderDto } from './dto/cancel-order.dto.js';
import type { CreateOrderDto } from './dto/create-order.dto.js';
import type { PayOrderDto } from './dto/pay-order.dto.js';
import type { Order, OrderLine } from './order.entity.js';
import { OrdersRepository } from './orders.repository.js';
import { PaymentDeclinedException } from './payment-declined.exception.js';
import { PaymentGateway } from './payment-gateway.service.js';

@Injectable()
export class OrdersService {
  constructor(
    private readonly orders: OrdersRepository,
    private readonly payments: PaymentGateway,
  ) {}

  /**
   * A client that retries with the same `Idempotency-Key` gets its first order back instead of a
   * second one. The controller then emits `order_placed` again with the same event key, and the
   * Spotzee module sends it only once.
   */
  place(customer: AuthenticatedUser, dto: CreateOrderDto, requestKey?: string): Order {
    if (requestKey !== undefined) {
      const previous = this.orders.findByRequestKey(customer.id, requestKey);
      if (previous !== undefined) return previous;
    }
    const lines = dto.items.map((item): OrderLine => {
      const product = CATALOG.get(item.sku);
      if (product === undefined) throw new BadRequestException(`Unknown sku "${item.sku}".`);
      return { sku: product.sku, name: product.name, quantity: item.quantity, unitPriceCents: product.priceCents };
    });
    const order: Order = {
      id: this.orders.nextOrderId(),
      customerId: customer.id,
      customer: { email: customer.email },
      lines,
      totalCents: lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0),
      currency: CURRENCY,
      status: 'placed',
      placedAt: new Date().toISOString(),
    };
    return this.orders.save(order, requestKey);
  }

  pay(customer: AuthenticatedUser, orderId: string, dto: PayOrderDto): Order {
    const order = this.find(customer, orderId);
    if (order.status !== 'placed') {
      throw new ConflictException(`Order ${order.id} is ${order.status}; only placed orders can be paid.`);
    }
    const charge = this.payments.charge(dto.cardNumber, order.totalCents, order.currency);
    if (!charge.approved) throw new PaymentDeclinedException(order.id, charge.declineCode);
    return this.orders.save({ ...order, status: 'paid', paidAt: new Date().toISOString() });
  }

  cancel(customer: AuthenticatedUser, orderId: string, dto: CancelOrderDto): Order {
    const order = this.find(customer, orderId);
    if (order.status !== 'placed') {
      throw new ConflictException(`Order ${order.id} is ${order.status}; only placed orders can be cancelled.`);
    }
    return this.orders.save({
      ...order,
      status: 'cancelled',
      cancelledAt: new Date().toISOString(),
      cancellationReason: dto.reason ?? 'customer_request',
    });
  }

  find(customer: AuthenticatedUser, orderId: string): Order {
    const order = this.orders.findById(orderId);
    // Someone else's order is reported as missing, not forbidden, so ids cannot be probed.
    if (order === undefined || order.customerId !== customer.id) {
      throw new NotFoundException(`Order ${orderId} not found.`);
    }
    return order;
  }
}
