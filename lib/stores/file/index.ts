export { FileEventStore } from './file-event-store.js';
export type { FileEventStoreOptions, FileEventStoreSeams } from './file-event-store.js';
