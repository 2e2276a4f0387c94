import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  // On Ctrl-C / SIGTERM, Nest runs the shutdown hooks: the Spotzee module drains its queue there,
  // after the HTTP server has stopped taking requests.
  app.enableShutdownHooks();
  const port = Number(app.get(ConfigService).get<string>('PORT') ?? 3000);
  await app.listen(port);
  new Logger('Shop').log(`Listening on http://localhost:${port}`);
}

await bootstrap();
