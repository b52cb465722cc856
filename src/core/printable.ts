/**
 * Characters that can forge or hide log lines when printed: C0 and C1 controls (`Cc`: newlines, escape
 * sequences that move the cursor or recolour a terminal), DEL, the Unicode line and paragraph
 * separators, and the bidirectional overrides that reorder what a reader sees.
 */
const UNPRINTABLE = /\p{Cc}|[\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `text` safe to put in one log line: every control character written as an escape
 * (`\n`, `\x1b`, `\u2028`), so a file name or an error message cannot start a new line or colour
 * the terminal. Printable text, backslashes included, is left as it is.
 * @example printable('a\nERROR b.csv') // 'a\\nERROR b.csv'
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
