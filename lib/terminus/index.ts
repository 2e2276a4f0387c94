export {
  SpotzeeHealthIndicator,
  type SpotzeeHealthDetails,
  type SpotzeeHealthOptions,
} from './spotzee.health-indicator.js';
export { SpotzeeHealthModule } from './spotzee-health.module.js';
