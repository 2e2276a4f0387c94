import { isLoopbackHost } from './delivery/resolve-delivery-options.js';
import type { ResolvedDeliveryOptions } from './delivery/resolve-delivery-options.js';
import { LIBRARY_VERSION } from './delivery/version.js';

export interface StartupReport {
  startupLine: string;
  startupWarnings: string[];
}

/** Jest and Vitest set these in every worker; `NODE_ENV=test` is the convention elsewhere. */
function underTestRunner(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.JEST_WORKER_ID !== undefined || env.VITEST !== undefined || env.NODE_ENV === 'test';
}

/**
 * What the module says once the application has started: where events go, and the two set-ups seen
 * to lose or misdirect events in real apps (a real key under a test runner; no shutdown hooks, so a
 * SIGTERM kills the process with its queue).
 */
export function describeStartup(
  options: Readonly<ResolvedDeliveryOptions>,
  decoratedHandlers: number,
  storeName: string,
  requestContexts: string,
  env: NodeJS.ProcessEnv = process.env,
  sigtermListeners: number = process.listenerCount('SIGTERM'),
): StartupReport {
  const host = new URL(options.baseUrl).host;
  const handlers = `${decoratedHandlers} @EmitsEvent handler${decoratedHandlers === 1 ? '' : 's'}`;
  const target = options.dryRun ? 'dry run: nothing is sent' : `sending to ${host}`;
  const startupLine = `Spotzee ready (nestjs-spotzee ${LIBRARY_VERSION}): ${target}, API ${options.apiVersion}, queue ${storeName}, ${handlers}, request contexts ${requestContexts}.`;
  const startupWarnings: string[] = [];
  const testing = underTestRunner(env);
  if (!options.dryRun && testing && !isLoopbackHost(new URL(options.baseUrl).hostname)) {
    startupWarnings.push(
      `A test runner is running this app with a Spotzee key that sends to ${host}: these tests send real events. ` +
        'Use SpotzeeTestingModule from nestjs-spotzee/testing, or point baseUrl at the emulator (npx nestjs-spotzee emulator).',
    );
  }
  if (!options.dryRun && !testing && sigtermListeners === 0) {
    startupWarnings.push(
      'No shutdown hooks are enabled: a SIGTERM (a deploy, a scale-down) ends the process without draining queued Spotzee events. ' +
        'Call app.enableShutdownHooks() in main.ts before app.listen().',
    );
  }
  return { startupLine, startupWarnings };
}
