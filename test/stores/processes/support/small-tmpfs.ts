import { spawnSync } from 'node:child_process';

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
