/** A word a POSIX shell reads back unchanged: as is when plain, else in single quotes. */
export function shellQuote(word: string): string {
  return /^[\w./@:=+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
