/**
 * Windows command lines as a started program sees them: split like CommandLineToArgvW (the rule
 * curl.exe and powershell.exe both use), after cmd.exe's `^` escapes are removed.
 */

/** cmd.exe's escapes: `^x` is `x` outside double quotes (inside them `^` is literal). */
export function removeCaretEscapes(line: string): string {
  let out = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '"') quoted = !quoted;
    if (ch === '^' && !quoted && i + 1 < line.length) {
      out += line[++i];
      continue;
    }
    out += ch;
  }
  return out;
}

/**
 * Splits a command line into arguments: whitespace separates, `"` groups, `2n` backslashes before
 * a quote are `n` backslashes, `2n+1` are `n` and a literal quote, other backslashes are literal
 * (so `C:\Users\x.csv` stays as written).
 */
export function splitWindowsArgs(line: string): string[] {
  const args: string[] = [];
  let cur = '';
  let inArg = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\') {
      let n = 0;
      while (line[i + n] === '\\') n++;
      if (line[i + n] === '"') {
        cur += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) cur += '"';
        else quoted = !quoted;
        i += n;
      } else {
        cur += '\\'.repeat(n);
        i += n - 1;
      }
      inArg = true;
    } else if (ch === '"') {
      // `""` inside quotes is a literal quote (the MSVC runtime's rule)
      if (quoted && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
      inArg = true;
    } else if (/\s/.test(ch) && !quoted) {
      if (inArg) args.push(cur);
      cur = '';
      inArg = false;
    } else {
      cur += ch;
      inArg = true;
    }
  }
  if (inArg) args.push(cur);
  return args;
}

/** The program's name without folder and `.exe`, lower-case: `C:\x\curl.exe` → `curl`. */
export function programName(command: string): string {
  const base = command.replace(/^"|"$/g, '').split(/[\\/]/).pop() ?? '';
  return base.toLowerCase().replace(/\.(exe|cmd|bat|com)$/, '');
}
