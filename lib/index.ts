import { Injectable } from '@nestjs/common';
import { request } from 'undici';
@Injectable()
export class Smoke { hello() { return typeof request; } }
