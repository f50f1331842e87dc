/**
 * The note a once-warned text carries, "(warned once)" or "(warned once, later cases
 * counted)": true of the warning at the time, it is left out of the summary of its
 * repeats, whose own words (`warn.repeated`) say it was warned once.
 */
const ONCE_NOTE = /\s*\(warned once[^)]*\)/;

/** `text` without its "(warned once …)" note. */
export function withoutOnceNote(text: string): string {
  return text.replace(ONCE_NOTE, '');
}

/**
 * Warn once, count the rest: a flow that keeps sending the same bad input must not
 * flood the log, yet the user should learn how often it happened (reported on close).
 */
export class CountedWarnings {
  private readonly seen = new Map<string, { count: number; text: string }>();

  constructor(private readonly warn: (text: string) => void) {}

  /** Warns with `text` the first time `key` happens; later times are only counted. */
  note(key: string, text: string): void {
    const seen = this.seen.get(key);
    if (seen) {
      seen.count++;
      return;
    }
    this.seen.set(key, { count: 1, text });
    this.warn(text);
  }

  /** How often each key happened since the start. */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.seen].map(([k, v]) => [k, v.count]));
  }

  /**
   * One more warning for each key that happened more than once, worded by `repeated`
   * (given the first warning's text without its "(warned once …)" note).
   */
  report(repeated: (count: number, text: string) => string): void {
    for (const { count, text } of this.seen.values()) {
      if (count > 1) this.warn(repeated(count, withoutOnceNote(text)));
    }
  }
}
