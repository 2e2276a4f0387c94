import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

interface PackageManifest {
  version: string;
  main?: string;
  module?: string;
  types?: string;
  exports?: unknown;
}

/** Every file the manifest points at (`main`, `module`, `types`, each leaf of `exports`), package-relative. */
export function manifestTargets(manifest: PackageManifest): string[] {
  const targets = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') targets.add(posix.normalize(value));
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit([manifest.main, manifest.module, manifest.types]);
  visit(manifest.exports);
  return [...targets].sort();
}

/**
 * Source-map references (`sources` of every `.map` in the tarball) that point at files the tarball
 * does not contain: a debugger or "go to definition" in a user's editor then finds nothing.
 */
export function danglingSourceMapSources(packageDir: string, files: readonly string[]): string[] {
  const shipped = new Set(files);
  const dangling: string[] = [];
  for (const file of files.filter((path) => path.endsWith('.map'))) {
    const map = JSON.parse(readFileSync(join(packageDir, file), 'utf8')) as { sourceRoot?: string; sources?: string[] };
    for (const source of map.sources ?? []) {
      const target = posix.normalize(posix.join(posix.dirname(file), map.sourceRoot ?? '', source));
      if (!shipped.has(target)) dangling.push(`${file} -> ${target}`);
    }
  }
  return dangling;
}

export function readManifest(packageDir: string): PackageManifest {
  return JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as PackageManifest;
}
