import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SpotzeeConfigurationError } from '../delivery/errors.js';
import { messages } from '../spotzee.messages.js';
import { DEFAULT_CATALOG_FILE, parseCatalogSnapshot, type CatalogSnapshot } from './catalog-snapshot.js';
import { RuntimeCatalog } from './runtime-catalog.js';

/**
 * Loads the committed snapshot once, at start-up (a synchronous read is fine there), and fails the
 * boot with the fix when it is missing or malformed: a check that silently checks nothing is worse.
 */
export function loadRuntimeCatalog(file: string | CatalogSnapshot | undefined, policy: string): RuntimeCatalog {
  if (file !== undefined && typeof file !== 'string' && (typeof file !== 'object' || file === null)) {
    throw invalid('expected a path or the parsed spotzee-events.json.');
  }
  if (typeof file === 'object') {
    const parsed = attempt(() => parseCatalogSnapshot(JSON.stringify(file), 'catalogFile'));
    if (parsed instanceof Error) throw invalid(parsed.message);
    return new RuntimeCatalog(parsed);
  }
  const path = resolve(file ?? DEFAULT_CATALOG_FILE);
  const text = attempt(() => readFileSync(path, 'utf8'));
  if (text instanceof Error) {
    throw new SpotzeeConfigurationError('catalogFile', messages.catalogFileMissing(path, policy));
  }
  const parsed = attempt(() => parseCatalogSnapshot(text, path));
  if (parsed instanceof Error) throw invalid(parsed.message);
  return new RuntimeCatalog(parsed);
}

function attempt<T>(work: () => T): T | Error {
  try {
    return work();
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

function invalid(detail: string): SpotzeeConfigurationError {
  return new SpotzeeConfigurationError('catalogFile', messages.catalogFileInvalid(detail));
}
