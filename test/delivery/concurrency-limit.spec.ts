import { describe, expect, it } from '@jest/globals';
import { ConcurrencyLimit } from '../../lib/delivery/dispatch/concurrency-limit.js';

describe('ConcurrencyLimit (AIMD between 1 and max)', () => {
  it('starts at max and shrinks by 30% per transient failure, never below 1', () => {
    const limit = new ConcurrencyLimit(8);
    expect(limit.limit).toBe(8);
    const seen = [];
    for (let i = 0; i < 8; i++) {
      limit.failed(limit.launch());
      seen.push(limit.limit);
    }
    expect(seen).toEqual([5, 3, 2, 1, 1, 1, 1, 1]);
  });

  it('cuts once per round: failures of requests already in flight at the cut do not cut again', () => {
    const limit = new ConcurrencyLimit(10);
    const inFlight = [limit.launch(), limit.launch(), limit.launch(), limit.launch()];
    expect(limit.failed(inFlight[0]!)).toBe(true);
    expect(limit.failed(inFlight[1]!)).toBe(false);
    expect(limit.failed(inFlight[2]!)).toBe(false);
    expect(limit.limit).toBe(7);
    // A request launched after the cut failing means the smaller limit is still too much.
    expect(limit.failed(limit.launch())).toBe(true);
    expect(limit.limit).toBe(4);
  });

  it('counts two failures within one round as one cut, up to the last request launched before it', () => {
    const limit = new ConcurrencyLimit(10);
    const round = [limit.launch(), limit.launch(), limit.launch()];
    expect(limit.failed(round[2]!)).toBe(true);
    // The last request launched before the cut belongs to the round the cut already answered.
    expect(limit.failed(round[0]!)).toBe(false);
    expect(limit.failed(round[2]!)).toBe(false);
    expect(limit.limit).toBe(7);
    const next = [limit.launch(), limit.launch()];
    expect(limit.failed(next[1]!)).toBe(true);
    expect(limit.failed(next[0]!)).toBe(false);
    expect(limit.limit).toBe(4);
  });

  it('reports no cut once the limit is down to one request', () => {
    const limit = new ConcurrencyLimit(2);
    expect(limit.failed(limit.launch())).toBe(true);
    expect(limit.limit).toBe(1);
    expect(limit.failed(limit.launch())).toBe(false);
    expect(limit.limit).toBe(1);
  });

  it('grows by about one per round of successes, up to max', () => {
    const limit = new ConcurrencyLimit(4);
    for (let i = 0; i < 6; i++) limit.failed(limit.launch());
    expect(limit.limit).toBe(1);
    limit.succeeded();
    expect(limit.limit).toBe(2);
    limit.succeeded();
    limit.succeeded();
    expect(limit.limit).toBe(2);
    limit.succeeded();
    expect(limit.limit).toBe(3);
    for (let i = 0; i < 100; i++) limit.succeeded();
    expect(limit.limit).toBe(4);
  });

  it('under one failure in five keeps most slots; under mostly failures, one request at a time', () => {
    const partial = new ConcurrencyLimit(4);
    const seen: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const launch = partial.launch();
      if (i % 5 === 4) partial.failed(launch);
      else partial.succeeded();
      seen.push(partial.limit);
    }
    expect(Math.min(...seen.slice(100))).toBeGreaterThanOrEqual(2);
    expect(seen.reduce((a, b) => a + b, 0) / seen.length).toBeGreaterThan(2.5);

    const outage = new ConcurrencyLimit(4);
    // Four failures to one success, ending on the failures.
    for (let i = 0; i < 99; i++) {
      const launch = outage.launch();
      if (i % 5 === 4) outage.succeeded();
      else outage.failed(launch);
    }
    expect(outage.limit).toBe(1);
  });
});

describe('ConcurrencyLimit: when a request in flight counts as slow', () => {
  it('uses the cap until an answer was seen, then 4 × the running answer time, within bounds', () => {
    const limit = new ConcurrencyLimit(4);
    expect(limit.slowAfterMs(2000)).toBe(2000);
    limit.answeredIn(100);
    expect(limit.slowAfterMs(2000)).toBe(400);
    // Loopback-fast answers never make a request "slow" within a quarter second.
    for (let i = 0; i < 50; i++) limit.answeredIn(1);
    expect(limit.slowAfterMs(2000)).toBe(250);
    // A server that got slow moves the threshold up, but never past the cap.
    for (let i = 0; i < 50; i++) limit.answeredIn(5000);
    expect(limit.slowAfterMs(2000)).toBe(2000);
  });

  it('follows a change of answer time gradually (one outlier barely moves it)', () => {
    const limit = new ConcurrencyLimit(4);
    for (let i = 0; i < 20; i++) limit.answeredIn(100);
    limit.answeredIn(10_000);
    expect(limit.slowAfterMs(60_000)).toBeLessThan(10_000);
    expect(limit.slowAfterMs(60_000)).toBeGreaterThan(400);
  });
});
