/** One named step of a graceful shutdown; steps close in the order they are listed. */
export type CloseStep = { name: string; close: () => Promise<unknown> };
