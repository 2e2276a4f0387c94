/**
 * `npx nestjs-spotzee catalog` on a fixture app (test/catalog/fixtures/apps/shop): the snapshot it
 * writes from the code, and `--check` against that snapshot after each kind of change a developer
 * makes — every breaking one fails with a message naming it, additions pass and are listed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseCatalogSnapshot, type CatalogSnapshot } from '../../lib/catalog/catalog-snapshot.js';
import { FixtureApp } from './support/fixture-app.js';

const CONTROLLER = 'src/orders.controller.ts';
const REFUNDS = 'src/refunds.service.ts';
const MODULE = 'src/app.module.ts';

describe('npx nestjs-spotzee catalog on a fixture app', () => {
  let app: FixtureApp;
  let snapshot: CatalogSnapshot;

  beforeAll(async () => {
    app = FixtureApp.copy('shop');
    const written = await app.run('catalog');
    expect(written).toMatchObject({ code: 0, stderr: '' });
    expect(written.stdout).toContain(
      'Wrote spotzee-events.json: 4 events (newsletter_joined, order_paid, order_placed, refund_issued).',
    );
    snapshot = parseCatalogSnapshot(app.read('spotzee-events.json'), 'spotzee-events.json');
  });

  afterEach(() => app.restore());
  afterAll(() => app?.remove());

  describe('the snapshot', () => {
    it("records each decorator's data and user fields, their types and where the event is emitted", () => {
      expect(snapshot.events.order_placed).toEqual({
        data: { currency: { type: 'string' }, order_id: { type: 'string' }, total: { type: 'number' } },
        user: { email: { type: 'string' } },
        emittedBy: [
          {
            kind: 'decorator',
            class: 'OrdersController',
            method: 'place',
            route: 'POST /orders',
            file: 'src/orders.controller.ts',
          },
        ],
      });
      // A Date reaches Spotzee as its ISO string; the route joins the controller's prefix and the method's path.
      expect(snapshot.events.order_paid).toMatchObject({
        data: { amount: { type: 'number' }, order_id: { type: 'string' }, paid_at: { type: 'string' } },
        emittedBy: [{ method: 'pay', route: 'POST /orders/:id/pay' }],
      });
    });

    it('records track() calls with the type of their data, optional and nullable fields included', () => {
      expect(snapshot.events.refund_issued).toEqual({
        data: { order_id: { type: 'string' }, reason: { type: '"damaged" | "late" | null' } },
        user: {},
        emittedBy: [{ kind: 'track', class: 'RefundsService', method: 'refund', file: 'src/refunds.service.ts' }],
      });
    });

    it("takes an event's data from the schema registered for it in the module options", () => {
      expect(snapshot.events.newsletter_joined?.data).toEqual({
        double_opt_in: { type: 'boolean' },
        list: { type: 'string' },
      });
    });

    it('writes the same bytes when the code did not change', async () => {
      const before = app.read('spotzee-events.json');
      const again = await app.run('catalog');
      expect(again.stdout).toContain('Unchanged spotzee-events.json: 4 events');
      expect(app.read('spotzee-events.json')).toBe(before);
    });
  });

  describe('--check', () => {
    it('passes when the code matches the snapshot', async () => {
      const result = await app.run('catalog', '--check');
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toContain('✓ No breaking changes to the event catalogue (4 events, spotzee-events.json).');
    });

    it('fails naming an event that was removed', async () => {
      app.edit(CONTROLLER, "@EmitsEvent('order_paid', {", "@SkipEvent('order_paid', {");
      app.edit(
        CONTROLLER,
        "import { EmitsEvent } from 'nestjs-spotzee';",
        "import { EmitsEvent } from 'nestjs-spotzee';\nconst SkipEvent = (..._: unknown[]): MethodDecorator => () => undefined;",
      );
      const result = await app.run('catalog', '--check');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('✗ 1 breaking change to the event catalogue against spotzee-events.json:');
      expect(result.stderr).toContain(
        '- event "order_paid" was removed: journeys and segments that use "order_paid" stop receiving it. It was emitted by OrdersController.pay [POST /orders/:id/pay].',
      );
    });

    it('fails naming a renamed event, and suggests the new name', async () => {
      app.edit(CONTROLLER, "@EmitsEvent('order_paid'", "@EmitsEvent('payment_received'");
      const result = await app.run('catalog', '--check');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('- event "order_paid" was removed (renamed to "payment_received"?)');
      expect(result.stdout).toContain(
        '+ event "payment_received" is new (OrdersController.pay [POST /orders/:id/pay]).',
      );
    });

    it.each<[string, string, string, string, string]>([
      [
        'a data field that was removed',
        CONTROLLER,
        ' amount: order.totalCents / 100,',
        '',
        '- field data.amount of event "order_paid" was removed (it was number).',
      ],
      [
        'a field whose type changed',
        CONTROLLER,
        'total: order.totalCents / 100,',
        'total: (order.totalCents / 100).toFixed(2),',
        '- field data.total of event "order_placed" changed type: number → string.',
      ],
      [
        'a field that became optional',
        REFUNDS,
        'data: { order_id: orderId,',
        'data: { order_id: orderId || undefined,',
        '- field data.order_id of event "refund_issued" became optional: events may now arrive without it.',
      ],
      [
        'a user field that was removed',
        CONTROLLER,
        'identify: (order: Order) => ({ email: order.email }),',
        '',
        '- field user.email of event "order_placed" was removed (it was string).',
      ],
      [
        'a field whose type a registered schema changed',
        MODULE,
        'double_opt_in: z.boolean()',
        "double_opt_in: z.enum(['yes', 'no'])",
        '- field data.double_opt_in of event "newsletter_joined" changed type: boolean → "no" | "yes".',
      ],
    ])('fails naming %s', async (_change, file, search, replacement, message) => {
      app.edit(file, search, replacement);
      const result = await app.run('catalog', '--check');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('✗ 1 breaking change to the event catalogue against spotzee-events.json:');
      expect(result.stderr).toContain(message);
    });

    it('names every breaking change at once', async () => {
      app.edit(CONTROLLER, ' amount: order.totalCents / 100,', '');
      app.edit(CONTROLLER, 'total: order.totalCents / 100,', 'total: String(order.totalCents),');
      const result = await app.run('catalog', '--check');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('✗ 2 breaking changes');
      expect(result.stderr).toContain('field data.amount of event "order_paid" was removed');
      expect(result.stderr).toContain('field data.total of event "order_placed" changed type');
    });

    it('passes for new events and new fields, and lists them', async () => {
      app.edit(REFUNDS, 'data: { order_id: orderId,', "data: { order_id: orderId, currency: 'EUR',");
      app.edit(
        REFUNDS,
        '  }\n}',
        "  }\n\n  close(customerId: string): void {\n    this.spotzee.track('account_closed', { externalId: customerId });\n  }\n}",
      );
      const result = await app.run('catalog', '--check');
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toContain('2 compatible changes:');
      expect(result.stdout).toContain('+ event "account_closed" is new (RefundsService.close (track())).');
      expect(result.stdout).toContain('+ field data.currency of event "refund_issued" is new (string).');
      expect(result.stdout).toContain('Run npx nestjs-spotzee catalog and commit spotzee-events.json to record them.');
    });

    it('fails, saying how to create it, when there is no snapshot', async () => {
      const result = await app.run('catalog', '--check', '--out', 'missing.json');
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        'No catalogue snapshot at missing.json. Run npx nestjs-spotzee catalog to create it from the code, and commit it.\n',
      );
    });
  });

  describe('with a declared catalogue', () => {
    const CATALOGUE = 'src/catalogue.ts';
    const declare = (orderPlaced: string) =>
      `declare module 'nestjs-spotzee' {\n  interface SpotzeeEvents {\n    /** A customer placed an order. */\n    order_placed: ${orderPlaced};\n    order_paid: { order_id: string; amount: number; paid_at: Date };\n    refund_issued: { order_id: string; reason: 'damaged' | 'late' | null };\n    newsletter_joined: { list: string; double_opt_in: boolean };\n  }\n}\n\nexport {};\n`;
    const declared =
      '{\n      order_id: string;\n      /** In currency units. */\n      total: number;\n      currency: string;\n    }';
    let declaredSnapshot: string;

    beforeAll(async () => {
      app.write(CATALOGUE, declare(declared));
      expect(await app.run('catalog', '--out', 'declared.json')).toMatchObject({ code: 0 });
      declaredSnapshot = app.read('declared.json');
    });

    afterAll(() => {
      rmSync(join(app.dir, CATALOGUE), { force: true });
      rmSync(join(app.dir, 'declared.json'), { force: true });
    });

    it('takes names, fields and descriptions from the SpotzeeEvents interface', () => {
      const events = parseCatalogSnapshot(declaredSnapshot, 'declared.json').events;
      expect(events.order_placed).toMatchObject({
        description: 'A customer placed an order.',
        declared: true,
        data: { total: { type: 'number', description: 'In currency units.' } },
      });
    });

    it('fails when a declared field becomes optional', async () => {
      app.write(CATALOGUE, declare(declared.replace('currency: string', 'currency?: string')));
      const result = await app.run('catalog', '--check', '--out', 'declared.json');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('- field data.currency of event "order_placed" became optional');
    });
  });

  it('renders the catalogue as Markdown with descriptions, types and sources', async () => {
    const result = await app.run('catalog', '--markdown');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('| [`order_paid`](#order_paid) |  | OrdersController.pay [POST /orders/:id/pay] |');
    expect(result.stdout).toContain('| `reason` | `"damaged" \\| "late" \\| null` | yes |  |');
    await app.run('catalog', '--markdown', 'EVENTS.md');
    expect(existsSync(join(app.dir, 'EVENTS.md'))).toBe(true);
  });

  it("warns about the guide's naming pitfalls", async () => {
    app.edit(
      REFUNDS,
      '  }\n}',
      "  }\n\n  seen(id: string): void {\n    this.spotzee.track('page_view', { externalId: id });\n    this.spotzee.track('orderPlaced', { externalId: id });\n  }\n}",
    );
    const result = await app.run('catalog', '--out', 'pitfalls.json');
    expect(result.code).toBe(0);
    expect(result.stderr.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(
        /^warning: Event "page_view" \(RefundsService.seen \(track\(\)\)\) looks like a page view\./,
      ),
      'warning: Event names "orderPlaced" (RefundsService.seen (track())) and "order_placed" (OrdersController.place [POST /orders]) ' +
        'differ only by case or separators. Spotzee counts them as different events, so journeys and segments built on one never see the other. Pick one spelling.',
    ]);
  });

  it('says how to fix a wrong --project', async () => {
    const result = await app.run('catalog', '--project', 'nope.json');
    expect(result).toMatchObject({
      code: 2,
      stderr:
        'nestjs-spotzee catalog: --project nope.json: no such file. Point it at the tsconfig that lists your sources.\n',
    });
  });
});
