/** What masking did to one record: the count, the detector names and (summary `debug`) the paths. */

export class MaskTally {
  count = 0;
  readonly types = new Set<string>();
  /** Paths of masked values (`attributes["user"]["email"]`); only collected for summary `debug`. */
  readonly paths: Set<string> | undefined;

  constructor(collectPaths: boolean) {
    this.paths = collectPaths ? new Set() : undefined;
  }

  add(type: string, path: string): void {
    this.count++;
    this.types.add(type);
    this.paths?.add(path);
  }
}
