import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A pid file may be missing for a moment after mkdir; after this long without one the lock is stale. */
const OWNERLESS_GRACE_MS = 60_000;

function isStale(lockDir: string): boolean {
  try {
    const pid = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
    process.kill(pid, 0);
    return false;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return true; // its owner died without releasing it
    if (code === 'EPERM') return false; // alive, owned by another user
    try {
      return Date.now() - statSync(lockDir).mtimeMs > OWNERLESS_GRACE_MS;
    } catch {
      return false; // released while we looked
    }
  }
}

/**
 * An exclusive lock on a consumer app's dependency cache while it is being installed. Two `npm test`
 * runs on one machine (several maintainers, or CI beside a session) share the cache, and only one may
 * install into it. `mkdir` is atomic, and a lock whose owning process is gone is taken over.
 */
export async function acquireDirectoryLock(lockDir: string, waitMs = 10 * 60_000): Promise<() => void> {
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (isStale(lockDir)) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() - started > waitMs) {
      throw new Error(`${lockDir} is still held by another run after ${waitMs} ms; remove it if no other run is alive`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
