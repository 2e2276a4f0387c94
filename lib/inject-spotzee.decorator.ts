import { Inject } from '@nestjs/common';
import { SPOTZEE_TRACKER } from './spotzee.constants.js';

/**
 * Injects the `SpotzeeTracker` through its string token. Prefer it over the class in code that may
 * run with both the ESM and CommonJS builds of the package loaded: the two `SpotzeeTracker` classes
 * are different tokens, the string is the same.
 */
export const InjectSpotzee = (): PropertyDecorator & ParameterDecorator => Inject(SPOTZEE_TRACKER);
