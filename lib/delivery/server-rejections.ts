import type { BatchPool } from './batch-pool.js';
import { DeliveryMessages as M } from './delivery.messages.js';
import type { DeliveryGate } from './delivery-gate.js';
import type { EngineLog } from './engine-log.js';
import { describeEvent } from './event-summary.js';
import type { FrozenBatch } from './frozen-batch.js';
import type { OutcomeLedger } from './outcome-ledger.js';
import type { RejectedOutcome, RejectionReason } from './outcomes.js';
import type { SpotzeeItemError, SpotzeeProblem } from './spotzee-problem.js';

const MAX_LOGGED_ITEMS = 5;

export interface ServerRejectionsDeps {
  ledger: OutcomeLedger;
  pool: BatchPool;
  gate: DeliveryGate;
  log: EngineLog;
}

/**
 * What Spotzee refused for good: a whole batch, the items a 400/422 names, or, when it names none, the
 * halves of a split that narrows the bad event down. Events that were fine always leave in a new batch
 * under a new key: a frozen batch's bytes never change.
 */
export class ServerRejections {
  readonly #ledger: OutcomeLedger;
  readonly #pool: BatchPool;
  readonly #gate: DeliveryGate;
  readonly #log: EngineLog;

  constructor(deps: ServerRejectionsDeps) {
    this.#ledger = deps.ledger;
    this.#pool = deps.pool;
    this.#gate = deps.gate;
    this.#log = deps.log;
  }

  rejectBatch(
    batch: FrozenBatch,
    reason: RejectionReason,
    problem: SpotzeeProblem,
    requestId: string | null,
    status: number,
  ): void {
    this.#pool.settle(batch);
    const failure = M.failure(status, problem, requestId);
    this.#gate.noteError(`Batch ${batch.key} rejected: ${failure}`, status, problem.code, requestId);
    for (const entry of batch.entries) {
      const { name, source } = entry.event;
      this.#ledger.reject(
        entry,
        true,
        reason,
        M.eventRejected(describeEvent(name, source), failure),
        serverRejection(problem, requestId, status),
      );
    }
  }

  /** Rejects the named items and resends the others as a new batch, under a new key. */
  rejectItems(
    batch: FrozenBatch,
    items: Map<number, SpotzeeItemError[]>,
    problem: SpotzeeProblem,
    requestId: string | null,
    status: number,
  ): void {
    // The survivors' new batch exists before the old one is acknowledged: a durable store never holds
    // neither.
    const keep = batch.entries.filter((_, index) => !items.has(index));
    if (keep.length > 0) this.#pool.add(keep, Date.now());
    this.#pool.settle(batch);
    const details: string[] = [];
    batch.entries.forEach((entry, index) => {
      const errors = items.get(index);
      if (errors === undefined) return;
      const first = errors[0]!;
      const text = errors
        .map((error) => `${error.param ?? 'event'}: ${error.message ?? error.code ?? 'invalid'}`)
        .join('; ');
      const { name, source } = entry.event;
      const message = M.itemRejected(
        describeEvent(name, source),
        text,
        first.code ?? problem.code ?? `http_${status}`,
        requestId,
      );
      if (details.length < MAX_LOGGED_ITEMS) details.push(`#${index} ${describeEvent(name, source)} ${text}`);
      this.#ledger.reject(entry, true, 'server_rejected', message, serverRejection(problem, requestId, status, first));
    });
    const rejectedCount = batch.size - keep.length;
    this.#gate.noteError(
      `Spotzee rejected ${rejectedCount} of ${batch.size} events in batch ${batch.key}`,
      status,
      problem.code,
      requestId,
    );
    this.#log.write(
      'warn',
      M.itemsRejected(batch, rejectedCount, status, problem.code, requestId, details, keep.length),
    );
  }

  /** A 400/422 naming no item, or a 413: halve until the bad event is alone. Each half gets a new key. */
  split(batch: FrozenBatch, failure: string): void {
    const middle = Math.ceil(batch.size / 2);
    const now = Date.now();
    this.#pool.add(batch.entries.slice(0, middle), now);
    this.#pool.add(batch.entries.slice(middle), now);
    this.#pool.settle(batch);
    this.#log.write('debug', M.splitting(batch, failure));
  }
}

/** The server's words on one rejected event: its code (or the status), the request id, the field. */
function serverRejection(
  problem: SpotzeeProblem,
  requestId: string | null,
  status: number,
  item?: SpotzeeItemError,
): Partial<RejectedOutcome> {
  const extra: Partial<RejectedOutcome> = { requestId };
  extra.code = item?.code ?? problem.code ?? `http_${status}`;
  const param = item ? item.param : problem.param;
  if (param !== null && param !== undefined) extra.param = param;
  return extra;
}
