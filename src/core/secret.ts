import { inspect } from 'node:util';

const MASK_HEAD = 6;
const MASK_TAIL = 4;

/**
 * Shows at most the first 6 and last 4 characters, and less of short values, so that a masked
 * value never reveals more than half of the secret.
 */
export function maskSecret(value: string): string {
  if (value.length === 0) return '';
  const visible = Math.min(MASK_HEAD + MASK_TAIL, Math.floor(value.length / 2));
  const head = Math.min(MASK_HEAD, Math.ceil(visible / 2));
  const tail = Math.min(MASK_TAIL, visible - head);
  return `${value.slice(0, head)}…${tail > 0 ? value.slice(-tail) : ''}`;
}

/**
 * A secret value (an API key, the master key). It prints, serialises and inspects only masked;
 * `reveal()` is the one way to the plaintext, so every use of it is easy to find.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  get masked(): string {
    return maskSecret(this.#value);
  }

  get length(): number {
    return this.#value.length;
  }

  equals(other: Secret): boolean {
    return this.#value === other.#value;
  }

  toString(): string {
    return this.masked;
  }

  toJSON(): string {
    return this.masked;
  }

  [inspect.custom](): string {
    return `Secret(${this.masked})`;
  }
}
