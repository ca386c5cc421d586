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
   * several do, then alphabetical); failing that, the one serving AI_FALLBACK_MODEL, whose keys the
   * pool lends to a model no key serves; undefined when neither is served.
   */
  providerFor(model: string, api: ProviderApi): Promise<string | undefined>;
}

export function createModelCatalogue(
  db: Db,
  providers: Readonly<Record<string, ProviderEndpoint>>,
  fallbackModel: string,
  now: () => number = Date.now,
): ModelCatalogue {
  let cached: { at: number; models: Promise<ServedModel[]> } | undefined;
  // providerFor's answers for the list read last, by api and model: a request for a model asked
  // before is a map lookup rather than a scan of the list.
  let answered: { models: readonly ServedModel[]; byKey: Map<string, string | undefined> } | undefined;
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
      const models = await list();
      if (answered?.models !== models) answered = { models, byKey: new Map() };
      const key = `${api}\n${model}`;
      if (answered.byKey.has(key)) return answered.byKey.get(key);
      const provider = choose(models, model, api);
      // Bounded: a client sending a new model name each time must not grow it past the list's life.
      if (answered.byKey.size < 10_000) answered.byKey.set(key, provider);
      return provider;
    },
  };

  function choose(models: readonly ServedModel[], model: string, api: ProviderApi): string | undefined {
    const servedBy = (name: string): string[] =>
      models.filter((m) => m.model === name && m.usable && apiOf(m.provider) === api).map((m) => m.provider);
    let candidates = servedBy(model);
    if (candidates.length === 0) candidates = servedBy(fallbackModel);
    if (candidates.includes(api)) return api;
    return candidates.sort()[0];
  }
}
