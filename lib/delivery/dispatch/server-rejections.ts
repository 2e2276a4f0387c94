import type { BatchPool } from '../queue/batch-pool.js';
import { DeliveryMessages as M } from '../delivery.messages.js';
import type { DeliveryGate } from './delivery-gate.js';
import type { EngineLog } from '../ledger/engine-log.js';
import type { QueuedEvent } from '../queue/event-queue-store.js';
import { describeEvent } from '../prepare/event-summary.js';
import type { FrozenBatch } from '../queue/frozen-batch.js';
import type { OutcomeLedger } from '../ledger/outcome-ledger.js';
import type { RejectedOutcome, RejectionReason } from '../ledger/outcomes.js';
import { SplitFamily } from './split-family.js';
import type { SpotzeeItemError, SpotzeeProblem } from './spotzee-problem.js';

const MAX_LOGGED_ITEMS = 5;
/**
 * Halvings allowed below a refused batch: enough to isolate one event among the 100 a batch can hold
 * (2^7 = 128). A batch still refused that deep is rejected whole rather than split further.
 */
export const MAX_SPLIT_DEPTH = 7;

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

  /**
   * Rejects the named items. After a 4xx (nothing committed) the others are resent as a new batch under
   * a new key; after a 2xx with per-item results (`committed`) the others were accepted and are
   * delivered. Either way one log line names the rejected items.
   */
  rejectItems(
    batch: FrozenBatch,
    items: Map<number, SpotzeeItemError[]>,
    problem: SpotzeeProblem,
    requestId: string | null,
    status: number,
    committed: { deliver: (kept: QueuedEvent[]) => void } | null = null,
  ): void {
    const keep: QueuedEvent[] = [];
    const refused: Array<{ entry: QueuedEvent; message: string; first: SpotzeeItemError }> = [];
    const details: string[] = [];
    batch.entries.forEach((entry, index) => {
      const errors = items.get(index);
      if (errors === undefined) {
        keep.push(entry);
        return;
      }
      const first = errors[0]!;
      const text = errors
        .map((error) => `${error.param ?? 'event'}: ${error.message ?? error.code ?? 'invalid'}`)
        .join('; ');
      const { name, source } = entry.event;
      const code = first.code ?? problem.code ?? `http_${status}`;
      refused.push({ entry, first, message: M.itemRejected(describeEvent(name, source), text, code, requestId) });
      if (details.length < MAX_LOGGED_ITEMS) details.push(`#${index} ${describeEvent(name, source)} ${text}`);
    });
    const rejectedCount = refused.length;
    this.#gate.noteError(
      `Spotzee rejected ${rejectedCount} of ${batch.size} events in batch ${batch.key}`,
      status,
      problem.code,
      requestId,
    );
    const family = batch.family;
    if (committed === null && keep.length > 0) {
      const rest = this.#pool.add(keep, Date.now());
      rest.splitDepth = batch.splitDepth;
      family?.enter(rest);
    }
    // Noted before the batch leaves its family: leaving may complete the family and write its summary.
    family?.noteRejected(rejectedCount, details.join('; '));
    this.#pool.settle(batch);
    for (const { entry, message, first } of refused) {
      this.#ledger.reject(entry, true, 'server_rejected', message, serverRejection(problem, requestId, status, first));
    }
    if (committed !== null) committed.deliver(keep);
    if (family !== null) return;
    const resent = committed === null ? keep.length : 0;
    this.#log.write('warn', M.itemsRejected(batch, rejectedCount, status, problem.code, requestId, details, resent));
  }

  /** A batch a split isolated (one event, or one too deep to split further) is refused as a whole. */
  rejectSplitLeaf(batch: FrozenBatch, problem: SpotzeeProblem, requestId: string | null, status: number): void {
    const failure = M.failure(status, problem, requestId);
    const events = batch.entries.map((entry) => describeEvent(entry.event.name, entry.event.source)).join(', ');
    // Noted first: the rejection settles the batch, which may complete the family and write its summary.
    batch.family?.noteRejected(batch.size, `${events}: ${failure}`);
    this.rejectBatch(batch, 'server_rejected', problem, requestId, status);
    if (batch.family === null) this.#log.write('warn', M.eventRejected(events, failure));
  }

  /**
   * A 400/422 naming no item, or a 413: halve until the bad event is alone (each half gets a new key),
   * at most `MAX_SPLIT_DEPTH` deep. The halves form a family that logs one summary line at the end.
   */
  split(batch: FrozenBatch, failure: string): void {
    let family = batch.family;
    if (family === null) {
      family = new SplitFamily(batch, (done) => {
        if (done.rejected > 0) this.#log.write('warn', M.splitSummary(done));
      });
      this.#log.write('debug', M.splitting(batch, failure));
    }
    const middle = Math.ceil(batch.size / 2);
    const now = Date.now();
    for (const entries of [batch.entries.slice(0, middle), batch.entries.slice(middle)]) {
      const half = this.#pool.add(entries, now);
      half.splitDepth = batch.splitDepth + 1;
      family.enter(half);
    }
    family.requests += 2;
    this.#pool.settle(batch);
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
