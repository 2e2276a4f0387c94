import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FileStoreMessages as M } from './file-store.messages.js';

/** Directories this process holds, so a second store on the same directory is refused, not corrupting. */
const HELD: Set<string> = ((globalThis as Record<symbol, unknown>)[Symbol.for('spotzee:file-store-locks')] ??=
  new Set<string>()) as Set<string>;

export interface LockResult {
  /** The pid of a dead process whose lock was taken over, if any. */
  tookOverFrom: number | null;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One process per store directory: two writers appending to one log would interleave records and
 * resend each other's batches. The lock is a file holding the owner's pid, created exclusively; a lock
 * left by a process that no longer runs (a SIGKILL, a crash) is taken over, since a dead process
 * writes nothing more.
 */
export class DirectoryLock {
  readonly #path: string;
  #held = false;

  constructor(private readonly directory: string) {
    this.#path = join(directory, 'lock');
  }

  /** Takes the lock or throws an error that names the process holding it. */
  acquire(): LockResult {
    if (HELD.has(this.directory)) throw new Error(M.lockedHere(this.directory));
    let tookOverFrom: number | null = null;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(this.#path, 'wx');
        try {
          writeSync(fd, `${process.pid}\n`);
        } finally {
          closeSync(fd);
        }
        HELD.add(this.directory);
        this.#held = true;
        return { tookOverFrom };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = this.#owner();
      // Our own pid in a lock this process does not hold is a previous life of a restarted container
      // (pid 1 again), so it is stale too.
      if (owner !== null && owner !== process.pid && isRunning(owner)) {
        throw new Error(M.locked(this.directory, owner));
      }
      tookOverFrom = owner;
      try {
        unlinkSync(this.#path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    throw new Error(M.locked(this.directory, this.#owner() ?? -1));
  }

  release(): void {
    if (!this.#held) return;
    this.#held = false;
    HELD.delete(this.directory);
    try {
      if (this.#owner() === process.pid) unlinkSync(this.#path);
    } catch {
      // Already gone: nothing to release.
    }
  }

  #owner(): number | null {
    try {
      const pid = Number.parseInt(readFileSync(this.#path, 'utf8').trim(), 10);
      return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
    } catch {
      return null;
    }
  }
}
