import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, detail: { completed: number; failed: number; delayed: number }): void;
  stop(): void;
}

/** A progress bar on a terminal; a line every few seconds elsewhere (CI logs). */
export function createProgress(total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format:
          'jobs {bar} {value}/{total} | completed {completed} | failed {failed} | waiting for a key {delayed}',
        stream,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { completed: 0, failed: 0, delayed: 0 });
    return { update: (done, detail) => bar.update(done, detail), stop: () => bar.stop() };
  }
  let last = 0;
  return {
    update(done, detail) {
      if (Date.now() - last < 2000 && done < total) return;
      last = Date.now();
      stream.write(
        `jobs ${done}/${total}: completed ${detail.completed}, failed ${detail.failed}, waiting for a key ${detail.delayed}\n`,
      );
    },
    stop() {},
  };
}
