/** The import report as operators read it: one table row per key, then a summary line. */
import { plainTable } from './table.js';
import type { FieldChange, FieldValue, ImportReport } from '../../store/import-config.js';

function show(value: FieldValue): string {
  return value === null ? 'none' : String(value);
}

export function describeChanges(changes: readonly FieldChange[]): string {
  return changes.map((c) => `${c.field}: ${show(c.from)} -> ${show(c.to)}`).join('\n');
}

function summary(report: ImportReport): string {
  const parts = [
    `${report.added.length} added`,
    `${report.changed.length} changed`,
    `${report.disabled.length} disabled`,
    `${report.unchanged.length} unchanged`,
  ];
  const earlier = report.alreadyRemoved > 0 ? ` (${report.alreadyRemoved} removed earlier, left alone)` : '';
  return `Keys: ${parts.join(', ')}${earlier}`;
}

function accountsSummary(report: ImportReport): string {
  const { added, changed, unchanged } = report.accounts;
  const lines = [`Accounts: ${added.length} added, ${changed.length} changed, ${unchanged.length} unchanged`];
  for (const a of added) lines.push(`  added ${a.ref} "${a.name}"`);
  for (const a of changed)
    lines.push(`  changed ${a.ref} "${a.name}": ${describeChanges(a.changes).replace(/\n/g, '; ')}`);
  return lines.join('\n');
}

export function renderImportReport(report: ImportReport): string {
  const table = plainTable(['Result', 'Key', 'Secret', 'Provider', 'Model', 'Account', 'Details']);
  for (const k of report.added) table.push(['added', k.name, k.masked, k.provider, k.model, k.account, '']);
  for (const k of report.changed) {
    table.push(['changed', k.name, k.masked, k.provider, k.model, k.account, describeChanges(k.changes)]);
  }
  for (const k of report.disabled)
    table.push(['disabled', k.name, k.masked, k.provider, k.model, k.account, k.reason]);
  for (const k of report.unchanged)
    table.push(['unchanged', k.name, k.masked, k.provider, k.model, k.account, '']);

  const lines = [
    report.dryRun ? `Dry run of ${report.file}: nothing was written.` : `Imported ${report.file}.`,
    accountsSummary(report),
  ];
  if (table.length > 0) lines.push(table.toString());
  lines.push(summary(report));
  if (report.legacy.length > 0) {
    lines.push('Legacy names (still read, but please rename):');
    for (const n of report.legacy) lines.push(`  ${n.file}:${n.line}: ${n.message}`);
  }
  return `${lines.join('\n')}\n`;
}
