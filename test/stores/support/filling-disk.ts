import { openLogFile } from '../../../lib/stores/file/log-file.js';
import type { LogFileOpener } from '../../../lib/stores/file/log-file.js';

/**
 * A disk that fills up on command, for the file store's fault tests where a small tmpfs cannot be
 * mounted: writes past `limit` bytes of a segment write what fits and then fail with ENOSPC, exactly
 * like a filling disk. Everything else is the real file.
 */
export class FillingDisk {
  /** Bytes a segment may hold; Infinity while there is room. */
  limit = Infinity;

  fill(): void {
    this.limit = 0;
  }

  free(): void {
    this.limit = Infinity;
  }

  readonly open: LogFileOpener = (path) => {
    const file = openLogFile(path);
    const limit = (): number => this.limit;
    return {
      get size() {
        return file.size;
      },
      write(bytes, position) {
        if (position + bytes.length > limit()) {
          file.write(bytes.subarray(0, Math.max(0, limit() - position)), position);
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        }
        file.write(bytes, position);
      },
      truncate: (length) => file.truncate(length),
      sync: (callback) => file.sync(callback),
      syncNow: () => file.syncNow(),
      close: () => file.close(),
    };
  };
}
