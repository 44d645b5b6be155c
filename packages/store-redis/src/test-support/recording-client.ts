import type { Redis } from 'ioredis';

/**
 * `client`, with every command the store sends through it pushed on `sent`: the
 * store sends through `call`, or `pipeline().call` for commands issued in one tick.
 */
export function recordingProxy(client: Redis, sent: string[][]): Redis {
  return new Proxy(client, {
    get(target, property) {
      if (property === 'call') {
        return (...args: string[]) => {
          sent.push(args);
          return target.call(args[0] as string, ...args.slice(1));
        };
      }
      if (property === 'pipeline') {
        return () => {
          const pipeline = target.pipeline();
          const call = pipeline.call.bind(pipeline);
          pipeline.call = ((...args: string[]) => {
            sent.push(args);
            return call(args[0] as string, ...args.slice(1));
          }) as typeof pipeline.call;
          return pipeline;
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
