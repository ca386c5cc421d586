/**
 * Counts this process's socket writes and reads (each a system call and, for a read, a wake-up of
 * the event loop), all sockets together: Redis, Postgres and the provider. At low job rates these,
 * not the JavaScript around them, are most of a job's CPU on a virtual machine, and unlike CPU time
 * they do not move with the machine's load. Writes are counted where net.Socket hands a write or a
 * corked batch (writev) to the operating system (`_writeGeneric`, Node's own since v8); reads where
 * a chunk arrives (`push`).
 */
import { Socket } from 'node:net';

export interface SocketCounts {
  readonly writes: number;
  readonly reads: number;
}

export interface SocketCounter {
  reset(): void;
  snapshot(): SocketCounts;
  uninstall(): void;
}

type Method = (this: Socket, ...args: unknown[]) => unknown;

export function installSocketCounter(): SocketCounter {
  const proto = Socket.prototype as unknown as Record<'_writeGeneric' | 'push', Method>;
  const { _writeGeneric: write, push } = proto;
  const ownPush = Object.prototype.hasOwnProperty.call(proto, 'push');
  let writes = 0;
  let reads = 0;
  proto._writeGeneric = function (...args) {
    writes++;
    return write.apply(this, args);
  };
  proto.push = function (...args) {
    if (args[0] !== null) reads++;
    return push.apply(this, args);
  };
  return {
    reset() {
      writes = 0;
      reads = 0;
    },
    snapshot: () => ({ writes, reads }),
    uninstall() {
      proto._writeGeneric = write;
      if (ownPush) proto.push = push;
      else delete (proto as Partial<Record<string, Method>>).push;
    },
  };
}
