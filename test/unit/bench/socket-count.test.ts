import { createServer, Socket, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { installSocketCounter } from '../../../bench/lib/socket-count.js';

describe('installSocketCounter', () => {
  it('counts writes (a corked batch as one) and chunks read, and puts Socket back', async () => {
    const { push } = Socket.prototype;
    let received = '';
    let arrived = () => {};
    const server = createServer((peer) =>
      peer.on('data', (chunk: Buffer) => {
        received += chunk.toString();
        arrived();
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new Socket();
    await new Promise<void>((resolve) => client.connect(port, '127.0.0.1', resolve));
    const receivedAll = (length: number) =>
      new Promise<void>((resolve) => {
        arrived = () => received.length >= length && resolve();
        arrived();
      });
    const counter = installSocketCounter();
    try {
      client.write('one');
      await receivedAll(3);
      client.cork();
      client.write('two');
      client.write('three');
      client.uncork();
      await receivedAll(11);
      const { writes, reads } = counter.snapshot();
      expect(writes).toBe(2);
      // The server's socket lives in this process too: each write arrived in at least one read.
      expect(reads).toBeGreaterThanOrEqual(2);
      counter.reset();
      expect(counter.snapshot()).toEqual({ writes: 0, reads: 0 });
    } finally {
      counter.uninstall();
      client.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
    expect(received).toBe('onetwothree');
    expect(Socket.prototype.push).toBe(push);
    expect(Object.prototype.hasOwnProperty.call(Socket.prototype, 'push')).toBe(false);
  });
});
