import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module.js';
import { OrdersController } from './orders.controller.js';
import { OrdersRepository } from './orders.repository.js';
import { OrdersService } from './orders.service.js';
import { PaymentGateway } from './payment-gateway.service.js';

@Module({
  imports: [AccountsModule],
  controllers: [OrdersController],
  providers: [OrdersRepository, OrdersService, PaymentGateway],
})
export class OrdersModule {}
