/**
 * Proof that the published package works where users run it. The library is built and packed like a
 * release, the tarball is installed with npm into small consumer apps (their sources and lockfiles are
 * in ./fixtures), and each app talks to the emulator running in this process:
 * - a Nest 11 CommonJS app, checked by tsc (module nodenext, and module commonjs with Node 10
 *   resolution) and by its own Jest 29 + ts-jest suite in CommonJS mode (the real module against the
 *   emulator, and the `testing` subpath's recorder);
 * - a Nest 12 ESM app ("type": "module"), compiled by tsc and run with node, and its own vitest suite;
 * - in both, one process that loads the `import` and the `require` builds side by side.
 *
 * The first run on a machine installs the apps' dependencies from the npm registry; later runs reuse
 * them from a cache keyed by each fixture's package.json and lockfile, each run in an app directory
 * of its own (see consumer-app.ts).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SpotzeeWireEvent } from '../../lib/delivery/prepare/spotzee-event.js';
import { EMULATOR_API_KEY, SpotzeeEmulator } from '../../lib/emulator/index.js';
import { ConsumerApp } from './consumer-app.js';
import { buildAndPackLibrary, type LibraryTarball } from './library-tarball.js';
import { childEnv, runCommand, type CommandResult } from './run-command.js';
import { danglingSourceMapSources, manifestTargets, readManifest } from './tarball-contents.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');
const fixturesDir = join(here, 'fixtures');

// Installing from a cold registry is the slow part; these are ceilings, not expectations.
const SETUP_TIMEOUT_MS = 10 * 60_000;
const RUN_TIMEOUT_MS = 4 * 60_000;

const CREATED_AT = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

/**
 * The one place a request context crosses builds: the controller opts in with
 * `@UseInterceptors(SpotzeeInterceptor)` from the other build than the module's, so that interceptor
 * enters the context and the module's tracker reads it. It must resolve its dependencies by string
 * token, since each build has its own classes.
 */
const FOREIGN_INTERCEPTOR =
  'works with @UseInterceptors(SpotzeeInterceptor) from the other build than the module: one request context shared across builds';

function expectExitZero(result: CommandResult): void {
  if (result.code !== 0) {
    throw new Error(`${result.command} exited with ${result.code ?? result.signal}:\n${result.output}`);
  }
}

describe('the packed tarball in consumer apps', () => {
  // Everything this run builds, packs and installs lives here, so concurrent runs share nothing but
  // the dependency cache, and afterAll removes it all.
  const runDir = mkdtempSync(join(tmpdir(), 'nestjs-spotzee-consumers-run-'));
  let tarball: LibraryTarball;
  let emulator: SpotzeeEmulator;
  const apps = new Map<string, ConsumerApp>();

  beforeAll(async () => {
    emulator = await SpotzeeEmulator.start();
    // On a fresh machine the apps' dependency installs wait on the network, not the CPU: run them
    // alongside the build.
    const [built, ...opened] = await Promise.allSettled([
      buildAndPackLibrary(repoRoot, join(runDir, 'library')),
      ...['nest11-cjs', 'nest12-esm'].map(async (name) =>
        apps.set(name, await ConsumerApp.open(fixturesDir, name, runDir)),
      ),
    ]);
    for (const result of [built, ...opened]) if (result.status === 'rejected') throw result.reason;
    tarball = (built as PromiseFulfilledResult<LibraryTarball>).value;
    await Promise.all([...apps.values()].map((app) => app.installLibrary(tarball)));
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await emulator?.stop();
    rmSync(runDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    emulator.reset();
  });

  const app = (name: string): ConsumerApp => {
    const found = apps.get(name);
    if (!found) throw new Error(`consumer app ${name} was not prepared`);
    return found;
  };

  const run = (name: string, args: string[]) =>
    runCommand(process.execPath, args, {
      cwd: app(name).dir,
      env: childEnv({ SPOTZEE_BASE_URL: emulator.baseUrl, SPOTZEE_API_KEY: EMULATOR_API_KEY }),
      killAfterMs: RUN_TIMEOUT_MS - 30_000,
    });

  // Each app is compiled once, by whichever test needs it first, so a filtered run (`-t dual`) works too.
  const compilations = new Map<string, Promise<CommandResult>>();
  const compiled = async (name: string): Promise<void> => {
    let compilation = compilations.get(name);
    if (!compilation) {
      compilation = run(name, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json']);
      compilations.set(name, compilation);
    }
    expectExitZero(await compilation);
  };

  /**
   * The `nestjs-spotzee` bin as npm linked it, run from the app: `catalog` reads the app's events (the
   * shared dual-load script's too) with the app's own TypeScript through the installed declarations,
   * and `--check` passes against them.
   */
  const catalogBin = async (name: string): Promise<void> => {
    const bin = join('node_modules', '.bin', 'nestjs-spotzee');
    const written = await run(name, [bin, 'catalog']);
    expectExitZero(written);
    expect(written.stdout).toBe(
      'Wrote spotzee-events.json: 3 events (ledger_entry_written, order_placed, stock_reserved).\n',
    );
    const snapshot = JSON.parse(readFileSync(join(app(name).dir, 'spotzee-events.json'), 'utf8'));
    expect(snapshot.events.order_placed).toMatchObject({
      data: { order_id: { type: 'string' }, quantity: { type: 'number' }, sku: { type: 'string' } },
      user: { email: { type: 'string' } },
      emittedBy: expect.arrayContaining([
        {
          kind: 'decorator',
          class: 'OrdersController',
          method: 'place',
          route: 'POST /orders',
          file: 'src/orders.controller.ts',
        },
      ]),
    });
    const checked = await run(name, [bin, 'catalog', '--check']);
    expectExitZero(checked);
    expect(checked.stdout).toContain('✓ No breaking changes to the event catalogue (3 events, spotzee-events.json).');
  };

  /** What the emulator accepted, in a stable order: by event name, then by the app that sent it. */
  const received = (): SpotzeeWireEvent[] =>
    emulator.events
      .map((received) => received.event)
      .sort((a, b) => `${a.name} ${String(a.data?.app)}`.localeCompare(`${b.name} ${String(b.data?.app)}`));

  /** Every request was a well-formed, accepted batch from the packed library, naming its version. */
  const expectCleanDelivery = (): void => {
    const stats = emulator.stats();
    expect(stats.idempotencyMismatches).toBe(0);
    expect(Object.keys(stats.clientErrors)).toEqual([]);
    const userAgent = `nestjs-spotzee/${readManifest(tarball.stageDir).version} node/${process.versions.node}`;
    for (const request of emulator.requests) {
      expect(request).toMatchObject({ status: 204, idempotencyKey: expect.any(String) });
      expect(request.headers['user-agent']).toBe(userAgent);
    }
  };

  /** The events one successful order produces in the Nest 11 and Nest 12 apps. */
  const orderEvents = (order: {
    id: string;
    customerId: string;
    visitor: string;
    email: string;
    sku: string;
    quantity: number;
  }) => [
    {
      name: 'order_placed',
      external_id: order.customerId,
      anonymous_id: order.visitor,
      data: { order_id: order.id, sku: order.sku, quantity: order.quantity },
      user: { email: order.email },
      created_at: CREATED_AT,
    },
    // Tracked with an explicit externalId, so it inherits neither id from the request: half a
    // contact borrowed from the request could misattribute the event.
    {
      name: 'stock_reserved',
      external_id: order.customerId,
      data: { order_id: order.id, sku: order.sku, quantity: order.quantity },
      created_at: CREATED_AT,
    },
  ];

  /** The events of the dual-load script: one successful order per app, none from its failed order. */
  const dualLoadEvents = () =>
    [
      ['cjs_module_esm_decorators', 'visitor_a'],
      ['esm_module_cjs_decorators', 'visitor_b'],
    ]
      .flatMap(([app, visitor]) => [
        // Tracked without ids: the request's contact (no user, the visitor header) is inherited, and
        // a null id is left out of the wire event.
        {
          name: 'ledger_entry_written',
          anonymous_id: visitor,
          data: { app, order_id: 'ord_2' },
          created_at: CREATED_AT,
        },
        {
          name: 'order_placed',
          external_id: `cus_${app}`,
          anonymous_id: visitor,
          data: { app, order_id: 'ord_2' },
          created_at: CREATED_AT,
        },
      ])
      .sort((a, b) => `${a.name} ${a.data.app}`.localeCompare(`${b.name} ${b.data.app}`));

  describe('the tarball, as npm extracted it', () => {
    const packageDir = () => join(app('nest12-esm').dir, 'node_modules', 'nestjs-spotzee');
    const packageType = (build: string) =>
      (JSON.parse(readFileSync(join(packageDir(), 'dist', build, 'package.json'), 'utf8')) as { type?: string }).type;

    it('contains every file its manifest points at: main, module, types and each exports condition of each subpath', () => {
      const targets = manifestTargets(readManifest(packageDir()));
      expect(targets).toEqual(
        expect.arrayContaining([
          'dist/cjs/index.js',
          'dist/esm/index.js',
          'dist/cjs/index.d.ts',
          'dist/esm/index.d.ts',
        ]),
      );
      expect(targets.filter((target) => !tarball.files.includes(target))).toEqual([]);
    });

    it('marks dist/cjs as CommonJS and dist/esm as ESM (the package itself is "type": "module")', () => {
      expect(packageType('cjs')).toBe('commonjs');
      expect(packageType('esm')).toBe('module');
    });

    it('ships the two builds, the TypeScript sources their maps point at, package.json, README.md and LICENSE, and no tests', () => {
      const outsideBuilds = tarball.files.filter((file) => !/^(dist\/(esm|cjs)|lib)\//.test(file));
      expect(outsideBuilds.sort()).toEqual(['LICENSE', 'README.md', 'package.json']);
      const tests = tarball.files.filter((file) => /(\.spec|\.e2e-spec|\.test)\.|(^|\/)(test|fixtures)\//.test(file));
      expect(tests).toEqual([]);
      const strayTypeScript = tarball.files.filter(
        (file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.startsWith('lib/'),
      );
      expect(strayTypeScript).toEqual([]);
    });

    // The maps' `sources` are ../../lib/*.ts: shipping lib/ lets debuggers and go-to-definition reach them.
    it('every source map resolves inside the package', () => {
      expect(danglingSourceMapSources(packageDir(), tarball.files)).toEqual([]);
    });
  });

  describe('Nest 11, CommonJS', () => {
    it(
      'runs the nestjs-spotzee bin: catalog writes the event catalogue, catalog --check passes',
      () => catalogBin('nest11-cjs'),
      RUN_TIMEOUT_MS,
    );

    it(
      'type-checks against the require-condition declarations (tsc, module nodenext)',
      async () => {
        await compiled('nest11-cjs');
      },
      RUN_TIMEOUT_MS,
    );

    it(
      'type-checks under the tsconfig of apps scaffolded before Nest 11 (module commonjs, moduleResolution node): every subpath resolves',
      async () => {
        expectExitZero(await run('nest11-cjs', ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.node10.json']));
      },
      RUN_TIMEOUT_MS,
    );

    it(
      "passes its own Jest 29 suite (ts-jest, CommonJS mode, that tsconfig): a request's events reach Spotzee; nestjs-spotzee/testing sends nothing; no open handle reported",
      async () => {
        const result = await run('nest11-cjs', [
          'node_modules/jest/bin/jest.js',
          '--ci',
          '--runInBand',
          '--detectOpenHandles',
        ]);
        expectExitZero(result);
        expect(result.output).not.toMatch(/open handle|nestjs-spotzee\.delivery/i);
        expect(received()).toEqual(
          orderEvents({
            id: 'ord_2',
            customerId: 'cus_42',
            visitor: 'visitor_7',
            email: 'ada@example.com',
            sku: 'sku_tea',
            quantity: 2,
          }),
        );
        expectCleanDelivery();
      },
      RUN_TIMEOUT_MS,
    );

    it(
      'works with both builds loaded in one process: module from one, decorators and tokens from the other',
      async () => {
        await compiled('nest11-cjs');
        expectExitZero(await run('nest11-cjs', ['dist/src/dual-load.mjs', 'mixed-module']));
        expect(received()).toEqual(dualLoadEvents());
        expectCleanDelivery();
      },
      RUN_TIMEOUT_MS,
    );

    it(
      FOREIGN_INTERCEPTOR,
      async () => {
        await compiled('nest11-cjs');
        expectExitZero(await run('nest11-cjs', ['dist/src/dual-load.mjs', 'foreign-interceptor']));
        expect(received()).toEqual(dualLoadEvents());
        expectCleanDelivery();
      },
      RUN_TIMEOUT_MS,
    );
  });

  describe('Nest 12, ESM', () => {
    it(
      'runs the nestjs-spotzee bin: catalog writes the event catalogue, catalog --check passes',
      () => catalogBin('nest12-esm'),
      RUN_TIMEOUT_MS,
    );

    it(
      'compiles against the import-condition declarations (tsc, module nodenext)',
      async () => {
        await compiled('nest12-esm');
      },
      RUN_TIMEOUT_MS,
    );

    it(
      "passes its own vitest suite (SWC, as Nest's samples set it up): the testing module replacing the app's import keeps its options and sends nothing",
      async () => {
        expectExitZero(await run('nest12-esm', ['node_modules/vitest/vitest.mjs', 'run']));
        expect(emulator.requests).toEqual([]);
      },
      RUN_TIMEOUT_MS,
    );

    it(
      'boots under node, serves a decorated request and delivers its events',
      async () => {
        await compiled('nest12-esm');
        expectExitZero(await run('nest12-esm', ['dist/main.js']));
        expect(received()).toEqual(
          orderEvents({
            id: 'ord_2',
            customerId: 'cus_12',
            visitor: 'visitor_12',
            email: 'grace@example.com',
            sku: 'sku_coffee',
            quantity: 3,
          }),
        );
        expectCleanDelivery();
      },
      RUN_TIMEOUT_MS,
    );

    it(
      'works with both builds loaded in one process: module from one, decorators and tokens from the other',
      async () => {
        await compiled('nest12-esm');
        expectExitZero(await run('nest12-esm', ['dist/dual-load.mjs', 'mixed-module']));
        expect(received()).toEqual(dualLoadEvents());
        expectCleanDelivery();
      },
      RUN_TIMEOUT_MS,
    );

    it(
      FOREIGN_INTERCEPTOR,
      async () => {
        await compiled('nest12-esm');
        expectExitZero(await run('nest12-esm', ['dist/dual-load.mjs', 'foreign-interceptor']));
        expect(received()).toEqual(dualLoadEvents());
        expectCleanDelivery();
      },
      RUN_TIMEOUT_MS,
    );
  });
});
