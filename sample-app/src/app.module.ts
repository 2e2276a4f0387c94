import { Module, ValidationPipe } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { FileEventStore, SpotzeeModule } from 'nestjs-spotzee';
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
        // Set by `npm start`: pending events live in this directory, so a restart after a crash or a
        // kill -9 delivers what the previous run left. Unset (the tests): the in-memory default.
        store: config.get<string>('SPOTZEE_STORE_DIR')
          ? new FileEventStore({ directory: config.getOrThrow<string>('SPOTZEE_STORE_DIR') })
          : undefined,
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
