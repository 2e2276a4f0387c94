import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Mounts a real tmpfs of `size` (e.g. `512k`) on `directory`: a small filesystem that really fills
 * up. Needs root (or CAP_SYS_ADMIN); false when the machine does not allow it, and the caller falls
 * back to a simulated full disk, saying so.
 */
export function mountSmallTmpfs(directory: string, size: string): boolean {
  if (process.platform !== 'linux') return false;
  return (
    spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', directory], { stdio: 'ignore' }).status === 0
  );
}

export function unmount(directory: string): void {
  spawnSync('umount', [directory], { stdio: 'ignore' });
}

/** Whether this machine lets the tests mount a tmpfs (tried once on a scratch directory). */
export function canMountTmpfs(): boolean {
  const probe = mkdtempSync(join(tmpdir(), 'spotzee-tmpfs-probe-'));
  try {
    if (!mountSmallTmpfs(probe, '64k')) return false;
    unmount(probe);
    return true;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
