import { IsIn } from 'class-validator';
import { PLAN_IDS, type PlanId } from '../plans.js';

export class StartSubscriptionDto {
  @IsIn(PLAN_IDS)
  plan!: PlanId;
}
