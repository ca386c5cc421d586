import Table from 'cli-table3';

/**
 * A table without colours (output is often piped or captured, and tests compare text) and without
 * rules between rows, which doubled the height of a key list for no gain.
 */
export function plainTable(head: string[]): Table.Table {
  return new Table({
    head,
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
}
