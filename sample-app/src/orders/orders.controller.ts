import { Body, Controller, Get, Headers, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { EmitsEvent } from 'nestjs-spotzee';
import type { AuthenticatedUser } from '../auth/authenticated-user.js';
import { CurrentUser } from '../auth/current-user.decorator.js';
import { DemoAuthGuard } from '../auth/demo-auth.guard.js';
import { toAmount } from '../common/money.js';
import { CancelOrderDto } from './dto/cancel-order.dto.js';
import { CreateOrderDto } from './dto/create-order.dto.js';
import { PayOrderDto } from './dto/pay-order.dto.js';
import type { Order } from './order.entity.js';
import { OrdersService } from './orders.service.js';

/**
 * Every event here gets its `external_id` from `request.user.id` (set by DemoAuthGuard) through the
 * module's default contact resolver. A route that fails — validation, unknown order, declined card —
 * sends none of its events.
 */
@Controller('orders')
@UseGuards(DemoAuthGuard)
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @EmitsEvent('order_placed', {
    data: (order: Order) => ({
      order_id: order.id,
      total: toAmount(order.totalCents),
      currency: order.currency,
      items: order.lines.reduce((count, line) => count + line.quantity, 0),
      skus: order.lines.map((line) => line.sku),
    }),
    identify: (order: Order) => ({ email: order.customer.email }),
    // Deterministic: the same order placed twice (a client retry) is one domain event.
    idempotencyKey: (order: Order) => `order_placed:${order.id}`,
  })
  place(
    @CurrentUser() user: AuthenticatedUser,
    @Body() dto: CreateOrderDto,
    @Headers('idempotency-key') requestKey?: string,
  ): Order {
    return this.orders.place(user, dto, requestKey);
  }

  @Post(':id/pay')
  @HttpCode(200)
  @EmitsEvent('order_paid', {
    data: (order: Order) => ({ order_id: order.id, amount: toAmount(order.totalCents), currency: order.currency }),
    idempotencyKey: (order: Order) => `order_paid:${order.id}`,
  })
  pay(@CurrentUser() user: AuthenticatedUser, @Param('id') id: string, @Body() dto: PayOrderDto): Order {
    return this.orders.pay(user, id, dto);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @EmitsEvent('order_cancelled', {
    data: (order: Order) => ({ order_id: order.id, reason: order.cancellationReason ?? null }),
    idempotencyKey: (order: Order) => `order_cancelled:${order.id}`,
  })
  cancel(@CurrentUser() user: AuthenticatedUser, @Param('id') id: string, @Body() dto: CancelOrderDto): Order {
    return this.orders.cancel(user, id, dto);
  }

  @Get(':id')
  find(@CurrentUser() user: AuthenticatedUser, @Param('id') id: string): Order {
    return this.orders.find(user, id);
  }
}
