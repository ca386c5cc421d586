/**
 * Token estimates made before a call, to reserve that many tokens of the key's daily quota on
 * lease; the reservation is reconciled to the provider's reported usage on release.
 *
 * Counts use gpt-tokenizer's o200k_base encoding (GPT-4o and later). Other model families
 * tokenise differently (cl100k, Claude, Gemini) by roughly ±15% on English text, which is close
 * enough for a reservation that is corrected afterwards; one encoding keeps this a single import.
 * Measured on Node 20: ~75-120 µs for a 2 KB prompt, ~3 µs for a short one; the module costs
 * ~0.4 s to load once. gpt-tokenizer keeps a bounded cache of BPE merges of prompt text; no API
 * key ever passes through here.
 *
 * The tokenizer's cost is quadratic in the length of a run without spaces (one BPE word), and it
 * runs on the worker's event loop, where a long stall keeps BullMQ from renewing job locks.
 * Measured (Node 20, 2-core machine under load): 64 KiB of "a" took 6.2 s, 64 KiB of random
 * letters 3.6 s, 64 KiB of random CJK 3.4 s (1 MiB would take minutes); 1 MiB of English 154 ms.
 * So the tokenizer is never given more than TOKENIZE_BUDGET_CHARS characters per estimate, in
 * pieces of TOKENIZE_CHUNK_CHARS (the quadratic part stays within one piece): texts up to the
 * budget are counted piece by piece, longer ones by tokenizing evenly spread pieces of the same
 * total size and scaling by length. Measured on 1 MiB prompts (random letters, random CJK, random
 * Unicode, a run of "a", English): 1-9 ms of CPU, up to ~55 ms the first time a kind of text is
 * met (warm-up), and within 3% of the exact count for English (a piece boundary can add a token, so
 * the estimate errs high). A reservation need not be exact: release corrects it.
 */
import { countTokens } from 'gpt-tokenizer';

/** Anything with text content: a chat message in job data or in a provider request. */
export interface TextMessage {
  readonly role?: string;
  readonly content: string;
}

/**
 * OpenAI's documented chat overhead: every message is wrapped in `<|start|>{role}\n ... <|end|>`
 * (about 3 tokens plus the role), and every reply is primed with 3 more.
 */
export const TOKENS_PER_MESSAGE = 4;
export const TOKENS_PER_REPLY = 3;

/**
 * Completion allowance when a job sets no `maxTokens`; also what the Anthropic adapter sends as
 * `max_tokens`, which that API requires. One number so that reservation and request agree.
 */
export const DEFAULT_COMPLETION_TOKENS = 1024;

/** Characters handed to the tokenizer in one call. */
export const TOKENIZE_CHUNK_CHARS = 128;
/** Most characters tokenized for one estimate, however long the text. */
export const TOKENIZE_BUDGET_CHARS = 2048;

export type TokenCounter = (text: string) => number;

/** `text.slice(start, end)` without cutting a surrogate pair in two at either end. */
function wholeSlice(text: string, start: number, end: number): string {
  const isLow = (i: number) => i > 0 && i < text.length && (text.charCodeAt(i) & 0xfc00) === 0xdc00;
  const from = isLow(start) ? start + 1 : start;
  const to = end < text.length && isLow(end) ? end - 1 : Math.min(end, text.length);
  return from < to ? text.slice(from, to) : '';
}

/** Tokens of the texts together, exact but for piece boundaries. */
function countInPieces(texts: readonly string[], count: TokenCounter): number {
  let tokens = 0;
  for (const text of texts) {
    for (let at = 0; at < text.length; at += TOKENIZE_CHUNK_CHARS) {
      const piece = wholeSlice(text, at, at + TOKENIZE_CHUNK_CHARS);
      if (piece !== '') tokens += count(piece);
    }
  }
  return tokens;
}

/**
 * Tokens of the texts together, for any length, giving `count` at most TOKENIZE_BUDGET_CHARS
 * characters in all (see the module comment). `count` is gpt-tokenizer's unless a test passes its own.
 */
export function countTokensBounded(texts: readonly string[], count: TokenCounter = countTokens): number {
  let total = 0;
  for (const text of texts) total += text.length;
  if (total <= TOKENIZE_BUDGET_CHARS) return countInPieces(texts, count);

  // Samples at evenly spaced offsets of the texts laid end to end, each within one text.
  const samples = TOKENIZE_BUDGET_CHARS / TOKENIZE_CHUNK_CHARS;
  const stride = total / samples;
  let sampledChars = 0;
  let sampledTokens = 0;
  let index = 0;
  let textStart = 0;
  for (let i = 0; i < samples; i += 1) {
    const offset = Math.floor(i * stride);
    while (offset >= textStart + texts[index]!.length) {
      textStart += texts[index]!.length;
      index += 1;
    }
    const text = texts[index]!;
    const piece = wholeSlice(text, offset - textStart, offset - textStart + TOKENIZE_CHUNK_CHARS);
    if (piece === '') continue;
    sampledChars += piece.length;
    sampledTokens += count(piece);
  }
  if (sampledChars === 0) return Math.ceil(total / 4);
  return Math.ceil((sampledTokens * total) / sampledChars);
}

/** Prompt tokens of a chat, including the per-message and reply-priming overhead. */
export function estimatePromptTokens(messages: readonly TextMessage[], count?: TokenCounter): number {
  const overhead = TOKENS_PER_REPLY + TOKENS_PER_MESSAGE * messages.length;
  return (
    overhead +
    countTokensBounded(
      messages.map((m) => m.content),
      count,
    )
  );
}

/** Tokens to reserve for a call: the prompt plus the most the reply may use. */
export function estimateTokens(messages: readonly TextMessage[], maxTokens?: number): number {
  const completion =
    maxTokens !== undefined && maxTokens > 0 ? Math.floor(maxTokens) : DEFAULT_COMPLETION_TOKENS;
  return estimatePromptTokens(messages) + completion;
}

/** Tokens in a piece of text (a reply's content, for example). */
export function countTextTokens(text: string): number {
  return countTokensBounded([text]);
}
