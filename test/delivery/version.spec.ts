import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { LIBRARY_VERSION, USER_AGENT } from '../../lib/delivery/version.js';

describe('version', () => {
  it('matches package.json and builds the User-Agent', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(LIBRARY_VERSION).toBe(pkg.version);
    expect(USER_AGENT).toBe(`nestjs-spotzee/${pkg.version} node/${process.versions.node}`);
  });
});
