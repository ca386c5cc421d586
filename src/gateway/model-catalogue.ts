/**
 * Which models the pool serves, read from Postgres and kept for a few seconds: every front-door
 * request routes by it, and thousands of requests a second must not each cost a query. A key
 * added or disabled is seen within CATALOGUE_TTL_MS.
 */
import type { ProviderApi, ProviderEndpoint } from '../config/types.js';
import type { Db } from '../store/database.js';
import { listServedModels, type ServedModel } from '../store/served-models.js';

export const CATALOGUE_TTL_MS = 5_000;

export interface ModelCatalogue {
  list(): Promise<readonly ServedModel[]>;
  /**
   * The provider whose not-disabled keys serve `model` in wire format `api` (`openai` preferred when
   * several do, then alphabetical), or undefined when none does.
   */
  providerFor(model: string, api: ProviderApi): Promise<string | undefined>;
}

export function createModelCatalogue(
  db: Db,
  providers: Readonly<Record<string, ProviderEndpoint>>,
  now: () => number = Date.now,
): ModelCatalogue {
  let cached: { at: number; models: Promise<ServedModel[]> } | undefined;
  const apiOf = (provider: string): ProviderApi =>
    providers[provider]?.api ?? (provider === 'anthropic' ? 'anthropic' : 'openai');

  function list(): Promise<ServedModel[]> {
    if (cached === undefined || now() - cached.at >= CATALOGUE_TTL_MS) {
      const models = listServedModels(db);
      cached = { at: now(), models };
      // A failed read is not kept: the next request asks Postgres again.
      models.catch(() => {
        if (cached?.models === models) cached = undefined;
      });
    }
    return cached.models;
  }

  return {
    list,
    async providerFor(model, api) {
      const candidates = (await list())
        .filter((m) => m.model === model && m.usable && apiOf(m.provider) === api)
        .map((m) => m.provider);
      if (candidates.includes(api)) return api;
      return candidates.sort()[0];
    },
  };
}
