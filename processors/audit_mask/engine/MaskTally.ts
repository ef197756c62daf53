/** What masking did to one record: the count, the detector names and (summary `debug`) the paths. */

export class MaskTally {
  count = 0;
  /**
   * Detector names, each once, in the order first seen (at most the number of
   * detectors). An array, not a Set: the processor keeps one tally, and
   * `Set.clear` allocates a new table per record.
   */
  types: string[] = [];
  /** Paths of masked values (`attributes["user"]["email"]`); only collected for summary `debug`. */
  readonly paths: Set<string> | undefined;

  constructor(collectPaths: boolean) {
    this.paths = collectPaths ? new Set() : undefined;
  }

  /** Empties the tally for the next record. */
  reset(): void {
    this.count = 0;
    if (this.types.length > 0) this.types = [];
    if (this.paths !== undefined && this.paths.size > 0) this.paths.clear();
  }

  add(type: string, path: string): void {
    this.count++;
    if (!this.types.includes(type)) this.types.push(type);
    this.paths?.add(path);
  }
}
