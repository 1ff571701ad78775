/**
 * The warning lines of one import or triage over files (unknown references, unmatched targets):
 * the first few are kept as written, the rest only counted, so a report of a million findings on
 * unknown assets does not print a million lines.
 */
export class WarningLines {
  private readonly lines: string[] = [];
  private more = 0;

  constructor(private readonly max = 20) {}

  add(line: string): void {
    if (this.lines.length < this.max) this.lines.push(line);
    else this.more += 1;
  }

  /** The kept lines, and a last one saying how many were left out. */
  close(): string[] {
    return this.more > 0 ? [...this.lines, `… and ${this.more} more`] : [...this.lines];
  }
}
