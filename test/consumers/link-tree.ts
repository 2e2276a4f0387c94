import { copyFileSync, linkSync, mkdirSync, readdirSync, readlinkSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Copies a directory tree as hard links (plain copies across file systems), symlinks as symlinks.
 * A run gets its own app directory in about a second instead of copying a hundred megabytes of
 * node_modules. Hard links share content, so whatever a run rewrites in place must be passed in
 * `copied` (paths relative to `from`) to get a real copy; npm only rewrites its manifests and lockfiles.
 */
export function linkTree(from: string, to: string, copied: ReadonlySet<string> = new Set(), prefix = ''): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      linkTree(source, target, copied, path);
    } else if (entry.isSymbolicLink()) {
      symlinkSync(readlinkSync(source), target);
    } else if (copied.has(path)) {
      copyFileSync(source, target);
    } else {
      try {
        linkSync(source, target);
      } catch (error) {
        // Another file system, or one without hard links: fall back to a copy.
        if (!['EXDEV', 'EPERM', 'ENOTSUP', 'EMLINK'].includes(String((error as NodeJS.ErrnoException).code))) {
          throw error;
        }
        copyFileSync(source, target);
      }
    }
  }
}
