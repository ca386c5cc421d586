/**
 * Loaded into each soak worker (`--import`, with `--expose-gc`): asked over IPC, it runs a full
 * garbage collection and answers with the V8 heap in use. RSS alone cannot tell a leak from a heap
 * V8 lets grow between collections (it does, at hundreds of jobs a second); the heap after a full
 * collection can. Bench-only: the worker's own code is not changed.
 */
const gc = (globalThis as { gc?: () => void }).gc;

process.on('message', (message: unknown) => {
  if (message !== 'heap-after-gc' || gc === undefined || process.send === undefined) return;
  gc();
  gc();
  process.send({ heapAfterGc: process.memoryUsage().heapUsed });
});
// The IPC channel must not keep a worker alive once it has stopped everything else.
process.channel?.unref();
