/**
 * A plain-text table for summaries: columns padded to their widest cell (`align`: one `l` or `r` per column),
 * two spaces apart, each line indented by two; trailing spaces trimmed.
 */
export function textTable(head: readonly string[], rows: readonly (readonly string[])[], align: string): string[] {
  const widths = head.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...r[i]].length)));
  const pad = (x: string, i: number) => {
    const fill = ' '.repeat(widths[i] - [...x].length);
    return align[i] === 'r' ? fill + x : x + fill;
  };
  const line = (cells: readonly string[]) => `  ${cells.map(pad).join('  ')}`.trimEnd();
  return [line(head), ...rows.map(line)];
}
