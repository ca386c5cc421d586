/**
 * Calls `seen` for each command any ioredis client of this process sends that `matches`, once per
 * command (a command sent before its connection is ready passes sendCommand again when it is).
 * Returns the function that puts sendCommand back.
 */
import { Redis } from 'ioredis';

export interface WatchedCommand {
  readonly name?: string;
  readonly args?: readonly unknown[];
}

type SendCommand = (this: Redis, command: WatchedCommand, ...rest: unknown[]) => unknown;

export function watchCommands(
  matches: (client: Redis, command: WatchedCommand) => boolean,
  seen: (command: WatchedCommand) => void,
): () => void {
  const proto = Redis.prototype as unknown as { sendCommand: SendCommand };
  const original = proto.sendCommand;
  const counted = new WeakSet<object>();
  proto.sendCommand = function (this: Redis, command, ...rest) {
    if (!counted.has(command) && matches(this, command)) {
      counted.add(command);
      seen(command);
    }
    return original.call(this, command, ...rest);
  };
  return () => {
    proto.sendCommand = original;
  };
}
