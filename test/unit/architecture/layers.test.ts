/**
 * Imports run only downwards, and no file imports itself back through others: read from the
 * sources, so a new upward import fails here with the file and the line of layers it breaks.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importCycles, importEdges, type ImportEdge } from './import-graph.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Each folder of src/ with its layer; a file may import its own layer or lower ones. crypto sits
 * below config: it needs nothing of config, while config checks AI_ENCRYPTION_KEY by crypto's own
 * rule (MASTER_KEY_BYTES, decodeMasterKey), so that rule has one home. Postgres (store) owns the key
 * statuses and the request-log row, which lease and usage build on.
 */
const LAYERS: Readonly<Record<string, number>> = {
  core: 0,
  crypto: 1,
  config: 2,
  pricing: 2,
  store: 3,
  lease: 4,
  usage: 5,
  providers: 5,
  jobs: 6,
  queues: 7,
  // Metrics, traces and probes wrap the job path (jobs, lease) and are used by the producer's trace
  // context, the runtime, the admin server and the entry points.
  observability: 7,
  runtime: 8,
  http: 8,
  gateway: 8,
  simulator: 8,
  cli: 9,
  demo: 9,
  workers: 10,
};

function layerOf(file: string): { name: string; rank: number } {
  const [top, folder] = file.split('/');
  const name = top === 'workers' ? 'workers' : folder!;
  const rank = LAYERS[name];
  if (rank === undefined) {
    throw new Error(
      `${file}: folder src/${name} has no layer; add it to LAYERS in test/unit/architecture/layers.test.ts`,
    );
  }
  return { name, rank };
}

function upwardImports(edges: readonly ImportEdge[]): string[] {
  return edges.flatMap(({ from, to }) => {
    const a = layerOf(from);
    const b = layerOf(to);
    return b.rank > a.rank ? [`${from} imports ${to} (${a.name} must not import ${b.name})`] : [];
  });
}

describe('import layering', () => {
  const edges = importEdges(ROOT, ['src', 'workers']);

  it('reads the imports (the scan itself works)', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual({ from: 'src/lease/engine.ts', to: 'src/lease/call-batcher.ts' });
  });

  it('finds an upward import and a cycle when there is one', () => {
    const planted: ImportEdge[] = [
      { from: 'src/store/keys.ts', to: 'src/lease/types.ts' },
      { from: 'src/lease/types.ts', to: 'src/store/keys.ts' },
    ];
    expect(upwardImports(planted)).toEqual([
      'src/store/keys.ts imports src/lease/types.ts (store must not import lease)',
    ]);
    expect(importCycles(planted)).toEqual([['src/lease/types.ts', 'src/store/keys.ts']]);
  });

  it('has no import from a lower layer to a higher one', () => {
    expect(upwardImports(edges)).toEqual([]);
  });

  it('has no import cycle', () => {
    expect(importCycles(edges)).toEqual([]);
  });
});
