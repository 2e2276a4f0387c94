const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * True for a real `YYYY-MM-DD` day at the start of `value`. V8's `Date.parse` rolls 2026-02-30 over to
 * March, so it cannot decide this alone; plain arithmetic keeps it cheap on every event of a batch.
 */
export function isCalendarDate(value: string): boolean {
  if (value.length < 10 || value[4] !== '-' || value[7] !== '-') return false;
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 7);
  const day = digits(value, 8, 10);
  if (year < 0 || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

function digits(value: string, from: number, to: number): number {
  let result = 0;
  for (let i = from; i < to; i++) {
    const code = value.charCodeAt(i) - 48;
    if (code < 0 || code > 9) return -1;
    result = result * 10 + code;
  }
  return result;
}
