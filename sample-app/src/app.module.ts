import { Module, ValidationPipe } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { SpotzeeModule } from 'nestjs-spotzee';
import { AccountsModule } from './accounts/accounts.module.js';
import { OrdersModule } from './orders/orders.module.js';
import { SubscriptionsModule } from './subscriptions/subscriptions.module.js';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    ScheduleModule.forRoot(),
    SpotzeeModule.forRootAsync({
      // Services anywhere in the app inject SpotzeeTracker without importing the module again.
      isGlobal: true,
      imports: [ConfigModule],
      inject: [ConfigService],
      useFactory: (config: ConfigService) => ({
        apiKey: config.getOrThrow<string>('SPOTZEE_API_KEY'),
        // Unset: Spotzee's production API. `npm start` points it at the local emulator instead.
        baseUrl: config.get<string>('SPOTZEE_BASE_URL'),
      }),
    }),
    AccountsModule,
    OrdersModule,
    SubscriptionsModule,
  ],
  providers: [
    {
      provide: APP_PIPE,
      useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
    },
  ],
})
export class AppModule {}
