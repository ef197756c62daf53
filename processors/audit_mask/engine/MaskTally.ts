/** What masking did to one record: the count, the detector names and (summary `debug`) the paths. */

export class MaskTally {
  count = 0;
  /**
   * Detector names, each once, in the order first seen: the first `typeCount`
   * entries (at most the number of detectors). One array kept across records
   * (the processor keeps one tally): a Set's `clear` allocated a new table and
   * a new array a new store, per record.
   */
  private readonly typeList: string[] = [];
  private typeCount = 0;
  /** Paths of masked values (`attributes["user"]["email"]`); only collected for summary `debug`. */
  readonly paths: Set<string> | undefined;

  constructor(collectPaths: boolean) {
    this.paths = collectPaths ? new Set() : undefined;
  }

  /** The detector names, each once, as a new array. */
  get types(): string[] {
    return this.typeList.slice(0, this.typeCount);
  }

  /** Empties the tally for the next record. */
  reset(): void {
    this.count = 0;
    this.typeCount = 0;
    if (this.paths !== undefined && this.paths.size > 0) this.paths.clear();
  }

  add(type: string, path: string): void {
    this.count++;
    let i = 0;
    while (i < this.typeCount && this.typeList[i] !== type) i++;
    if (i === this.typeCount) this.typeList[this.typeCount++] = type;
    this.paths?.add(path);
  }
}
