/**
 * The engine's logging seam. The Nest layer passes a `Logger('Spotzee')`; standalone users can pass
 * `console`. Messages are already redacted: the API key is never part of them.
 */
export interface DeliveryLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug?(message: string): void;
}

export const SILENT_LOGGER: DeliveryLogger = {
  log() {},
  warn() {},
  error() {},
  debug() {},
};
