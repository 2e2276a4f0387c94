/**
 * The library version sent in `User-Agent`. A constant rather than a runtime read of package.json:
 * the same source compiles to ESM and CommonJS, where `import.meta` and `require` are each missing
 * in the other build. A test keeps it equal to package.json's version.
 */
export const LIBRARY_VERSION = '0.1.0';

export const USER_AGENT = `nestjs-spotzee/${LIBRARY_VERSION} node/${process.versions.node}`;
