import { closeSync, constants, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';

/**
 * The file operations the log needs, behind a seam so tests can make a disk fill up at a chosen size
 * (where mounting a small tmpfs is not allowed). Positions are explicit: the log knows where every
 * record starts, and a failed write is cut back to that point.
 */
export interface LogFile {
  readonly size: number;
  /** Writes all of `bytes` at `position`, or throws (ENOSPC, EIO…). */
  write(bytes: Buffer, position: number): void;
  truncate(length: number): void;
  sync(callback: (error: Error | null) => void): void;
  syncNow(): void;
  close(): void;
}

/** Opens (creating if needed) one segment file. */
export type LogFileOpener = (path: string) => LogFile;

export const openLogFile: LogFileOpener = (path) => {
  // Not O_APPEND: Linux ignores the position of writes in append mode, and a failed write must be
  // cut back exactly where it began.
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
  let size = fstatSync(fd).size;
  return {
    get size() {
      return size;
    },
    write(bytes, position) {
      let written = 0;
      while (written < bytes.length) {
        written += writeSync(fd, bytes, written, bytes.length - written, position + written);
      }
      size = Math.max(size, position + bytes.length);
    },
    truncate(length) {
      ftruncateSync(fd, length);
      size = length;
    },
    sync(callback) {
      fdatasync(fd, (error) => callback(error));
    },
    syncNow() {
      fdatasyncSync(fd);
    },
    close() {
      closeSync(fd);
    },
  };
};
