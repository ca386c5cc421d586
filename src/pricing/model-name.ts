/**
 * How a requested model name is matched to a priced one. Providers report and accept many
 * spellings of one model: OpenRouter prefixes the vendor (`openai/gpt-4o`), Gemini's API the
 * collection (`models/gemini-1.5-pro`), and every vendor pins snapshots with a date or version
 * suffix (`gpt-4o-2024-08-06`, `gpt-3.5-turbo-0125`, `claude-3-5-sonnet-20241022`,
 * `gemini-1.5-pro-002`, `mistral-medium-2505`) or floats with `-latest`.
 */

/** `-2024-08-06`, `-20241022`, `-0125` / `-2505`, `-002`, `-latest` at the end of a name. */
const SNAPSHOT_SUFFIX = /-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|\d{3}|latest)$/;

export function normaliseModelName(model: string): string {
  return model.trim().toLowerCase();
}

export function stripProviderPrefix(model: string): string {
  const slash = model.lastIndexOf('/');
  return slash === -1 ? model : model.slice(slash + 1);
}

export function stripSnapshotSuffix(model: string): string {
  return model.replace(SNAPSHOT_SUFFIX, '');
}

/**
 * Names to try, most specific first: exact, without the provider prefix, then without the
 * snapshot suffix. Duplicates are dropped.
 */
export function modelNameCandidates(model: string): string[] {
  const exact = normaliseModelName(model);
  const unprefixed = stripProviderPrefix(exact);
  const undated = stripSnapshotSuffix(unprefixed);
  return [...new Set([exact, unprefixed, undated])];
}
