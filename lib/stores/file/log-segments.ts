import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The log is a series of numbered segment files. New records go to the newest; a segment is deleted
 * once it and every older one hold nothing live, so a record that marks something done is never
 * deleted while the record it marks survives.
 */
const SEGMENT_PATTERN = /^segment-(\d{10})\.log$/;

function segmentName(no: number): string {
  return `segment-${String(no).padStart(10, '0')}.log`;
}

/** The segment numbers in a directory, oldest first. */
export function listSegments(directory: string): number[] {
  const numbers: number[] = [];
  for (const name of readdirSync(directory)) {
    const match = SEGMENT_PATTERN.exec(name);
    if (match) numbers.push(Number(match[1]));
  }
  return numbers.sort((a, b) => a - b);
}

export function segmentPath(directory: string, no: number): string {
  return join(directory, segmentName(no));
}
