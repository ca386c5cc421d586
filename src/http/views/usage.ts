/**
 * How a usage series looks in the API and in `aikeys usage --json`, declared once (see views/key.ts).
 */
import { z } from 'zod';
import type { UsageSeries } from '../../store/usage-series.js';
import { USAGE_BUCKETS, type UsageWindow } from '../../store/usage-window.js';
import { TotalsSchema, totalsJson } from './key.js';

export const SeriesSchema = z
  .object({
    bucket: z.enum(USAGE_BUCKETS),
    from: z.string().describe('First bucket'),
    to: z.string().describe('Last bucket, included'),
    time_zone: z.string().describe('AI_TIMEZONE: where days begin'),
    series: z.array(
      TotalsSchema.extend({
        time: z.string().describe('YYYY-MM-DD for days; the ISO instant the hour starts for hours'),
        group: z.string().nullable().describe('Key, model, account name or client; null without group_by'),
      }),
    ),
    totals: TotalsSchema,
  })
  .describe('Usage series');

export function usageJson(
  window: UsageWindow,
  timeZone: string,
  result: UsageSeries,
): z.infer<typeof SeriesSchema> {
  return {
    bucket: window.bucket,
    from: window.from,
    to: window.to,
    time_zone: timeZone,
    series: result.series.map((p) => ({ time: p.time, group: p.group, ...totalsJson(p) })),
    totals: totalsJson(result.totals),
  };
}
