/** `/etc/os-release` (os-release(5)): `KEY=value` lines, values optionally quoted. */
export function parseOsRelease(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of (text ?? '').split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match?.[1]) continue;
    let value = match[2] ?? '';
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\(["\\$`])/g, '$1');
    }
    out[match[1]] = value;
  }
  return out;
}

/** `NixOS 26.05`, `Ubuntu 24.04.2 LTS`: PRETTY_NAME, else NAME, else the ID. */
export function osName(release: Record<string, string>): string {
  return release.PRETTY_NAME || release.NAME || release.ID || 'an unknown OS';
}
