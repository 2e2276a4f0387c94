import { afterEach, describe, expect, it } from '@jest/globals';
import { forwardRef, Inject, Injectable, Module, type INestApplicationContext, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TerminusModule } from '@nestjs/terminus';
import { SILENT_LOGGER } from '../../lib/delivery/index.js';
import { InjectSpotzee, SpotzeeModule, SpotzeeTracker, type SpotzeeModuleOptions } from '../../lib/index.js';
import type { RequestContexts } from '../../lib/request-context.policy.js';
import { SPOTZEE_REQUEST_CONTEXTS } from '../../lib/spotzee.constants.js';
import { SpotzeeHealthIndicator } from '../../lib/terminus/index.js';

@Injectable()
class ByClass {
  constructor(readonly tracker: SpotzeeTracker) {}
}

@Injectable()
class ByToken {
  constructor(@InjectSpotzee() readonly tracker: SpotzeeTracker) {}
}

@Injectable()
class ByProperty {
  @Inject(SpotzeeTracker) tracker!: SpotzeeTracker;
}

@Injectable()
class ByForwardRef {
  constructor(@Inject(forwardRef(() => SpotzeeTracker)) readonly tracker: SpotzeeTracker) {}
}

@Injectable()
class ByNothing {}

@Injectable()
class Unrelated {
  constructor(readonly other: ByNothing) {}
}

/**
 * `requestContext: 'auto'` turns request contexts on when a class of the app is given the tracker,
 * however Nest gives it: read off the module graph, with the package's own users left out.
 */
describe('which apps get request contexts', () => {
  let app: INestApplicationContext | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function decide(providers: unknown[], options: Partial<SpotzeeModuleOptions> = {}, imports: unknown[] = []) {
    @Module({ imports: imports as [], providers: providers as Type[] })
    class FeatureModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [
        SpotzeeModule.forRoot({ apiKey: 'sk_test_policy', dryRun: true, logger: SILENT_LOGGER, ...options }),
        FeatureModule,
      ],
    }).compile();
    app = moduleRef;
    return moduleRef.get<RequestContexts>(SPOTZEE_REQUEST_CONTEXTS, { strict: false });
  }

  it.each([
    ['a constructor parameter of the class', ByClass],
    ['@InjectSpotzee()', ByToken],
    ['an @Inject() property', ByProperty],
    ['a forwardRef', ByForwardRef],
  ])('on when a class is given the tracker through %s, naming it', async (_how, provider) => {
    expect(await decide([provider, ByNothing])).toEqual({
      enabled: true,
      reason: `on (${provider.name} injects SpotzeeTracker)`,
    });
  });

  it('on when a factory provider is given the tracker', async () => {
    const contexts = await decide([
      { provide: 'AUDIT', useFactory: (tracker: SpotzeeTracker) => ({ tracker }), inject: [SpotzeeTracker] },
    ]);
    expect(contexts.enabled).toBe(true);
  });

  it('off when nothing of the app is given the tracker: the module and its health indicator do not count', async () => {
    expect(await decide([Unrelated, ByNothing, SpotzeeHealthIndicator], {}, [TerminusModule])).toEqual({
      enabled: false,
      reason:
        "only @EmitsEvent routes (no class injects SpotzeeTracker; requestContext: 'always' opens one for every request)",
    });
  });

  it("on under 'always', off under globalInterceptor: false whatever the app injects", async () => {
    expect((await decide([ByNothing], { requestContext: 'always' })).enabled).toBe(true);
    await app?.close();
    expect(await decide([ByClass], { globalInterceptor: false })).toEqual({
      enabled: false,
      reason: 'off (globalInterceptor: false)',
    });
  });

  it('refuses an unknown requestContext, saying what it takes', async () => {
    await expect(decide([], { requestContext: 'sometimes' as never })).rejects.toThrow(
      /requestContext: expected 'auto' or 'always', got "sometimes"/,
    );
  });

  it('counts several users once each and says how many', async () => {
    expect((await decide([ByClass, ByToken, ByProperty])).reason).toBe('on (ByClass and 2 more inject SpotzeeTracker)');
  });
});
