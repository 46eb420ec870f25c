/**
 * Set by the dashboard module when it loads (and with it ink and react), so
 * tests can tell that plain output paths never load them.
 */
let loaded = false;

export function markInkLoaded(): void {
  loaded = true;
}

export function inkLoaded(): boolean {
  return loaded;
}
