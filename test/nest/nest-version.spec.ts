import { describe, expect, it } from '@jest/globals';
import type { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { SpotzeeConfigurationError } from '../../lib/index.js';
import { SpotzeeExplorer } from '../../lib/spotzee.explorer.js';
import type { SpotzeeSettings } from '../../lib/spotzee-settings.factory.js';
import type { SpotzeeRuntime } from '../../lib/spotzee.runtime.js';

describe('on Nest 10 or older', () => {
  it('fails the boot saying that Nest 11 or later is required, not with a TypeError from inside Nest', () => {
    // An older MetadataScanner: scanFromPrototype, no getAllMethodNames.
    const nest10Scanner = { scanFromPrototype: () => [] } as unknown as MetadataScanner;
    const discovery = { getControllers: () => [], getProviders: () => [] } as unknown as DiscoveryService;
    const build = () => new SpotzeeExplorer(discovery, nest10Scanner, {} as SpotzeeSettings, {} as SpotzeeRuntime);
    expect(build).toThrow(SpotzeeConfigurationError);
    expect(build).toThrow(
      'nestjs-spotzee requires Nest 11 or later: the installed @nestjs/core is older (its MetadataScanner has no getAllMethodNames()). ' +
        'Upgrade @nestjs/common and @nestjs/core to ^11 or ^12',
    );
  });
});
