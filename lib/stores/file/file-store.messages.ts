/** Every sentence the file store says, in one place, each naming the directory and what to do. */
export const FileStoreMessages = {
  unwritable: (directory: string, detail: string) =>
    `FileEventStore cannot write to "${directory}" (${detail}). Create the directory with write access for ` +
    `this process, or pass another \`directory\`.`,
  locked: (directory: string, pid: number) =>
    `FileEventStore: "${directory}" is in use by another process (pid ${pid}). One process owns a store ` +
    `directory at a time: give each process (or replica) its own directory, or use RedisEventStore to ` +
    `share one queue between several.`,
  lockedHere: (directory: string) =>
    `FileEventStore: "${directory}" is already open in this process. Create one FileEventStore per ` +
    `directory and pass the same instance wherever it is needed.`,
  staleLock: (directory: string, pid: number) =>
    `FileEventStore: took over "${directory}" from pid ${pid}, which is no longer running.`,
  tornTail: (file: string, offset: number, bytes: number, problem: string) =>
    `FileEventStore: the log "${file}" ended in an incomplete record (${problem}) at byte ${offset}: ` +
    `${bytes} bytes were cut off. This is what a crash in the middle of a write leaves; every whole record ` +
    `before it was recovered.`,
  recovered: (directory: string, events: number, batches: number) =>
    `FileEventStore: recovered ${events} queued events and ${batches} unsent batches from "${directory}"; ` +
    `batches are resent under their original Idempotency-Key.`,
  writeFailed: (directory: string, detail: string) =>
    `FileEventStore: writing to "${directory}" failed (${detail}). Events that cannot be written are ` +
    `dropped and reported (store_failed) until the disk accepts writes again.`,
  writeRecovered: (directory: string) => `FileEventStore: "${directory}" accepts writes again.`,
  syncFailed: (directory: string, detail: string) =>
    `FileEventStore: fsync of "${directory}" failed (${detail}); the last writes may not survive a machine crash.`,
  unreadable: (file: string, offset: number, problem: string) =>
    `FileEventStore: the queued event at byte ${offset} of "${file}" cannot be read back (${problem}). ` +
    `The log was changed by something other than this store; restart the process to recover what is whole.`,
  notWritten: (detail: string) => `the file store could not write it (${detail})`,
  notOpen: () => 'the file store is not open: the engine opens it at start-up',
  invalidOption: (option: string, detail: string) => `FileEventStore: \`${option}\` ${detail}`,
} as const;
