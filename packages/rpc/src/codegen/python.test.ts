import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteKeysUnder, describeWithRedis, uniquePrefix } from '@replayrail/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { defineContract, defineMethod, defineNotification } from '../contract.js';
import {
  describeWithPython,
  generatePython,
  type PythonServer,
  pythonEnv,
  runPythonCaller,
  startPythonServer,
} from '../test-support/python.js';
import { emitPython } from './emit-python.js';
import { lowerContract } from './lower.js';

/** Runs a Python snippet in `folder` (generated modules importable) and parses the JSON it prints. */
function runPython(python: string, folder: string, code: string): unknown {
  const output = execFileSync(python, ['-c', code], { cwd: folder, env: pythonEnv(), encoding: 'utf8' });
  return JSON.parse(output);
}

// What the generated arith module does in Python: models with aliases and
// snake_case names, refusing unknown fields, nested, optional and nullable; the
// typed client's calls; the contract clamator's runtime is given.
const ROUND_TRIP = `
import asyncio, json
from abc import ABC
from pydantic import ValidationError
import arith

def refusal(model, data):
    try:
        model.model_validate(data)
        return "accepted"
    except ValidationError as error:
        return error.errors()[0]["type"]

class RecordingClient:
    def __init__(self):
        self.calls = []
    async def call(self, service, method, params, *, timeout_ms=None):
        self.calls.append([service, method, params, timeout_ms])
        return {"orderId": params["orderId"], "lines": [{"itemName": "tea", "qty": 2}], "note": None}
    async def notify(self, service, method, params):
        self.calls.append([service, method, params])

out = {}
by_name = arith.DescribeParams(order_id="o-1")
out["bySnakeName"] = by_name.model_dump(mode="json", by_alias=True, exclude_unset=True)
by_alias = arith.DescribeParams.model_validate({"orderId": "o-2", "priority": "low"})
out["fromWire"] = [by_alias.order_id, by_alias.priority]
out["unknownField"] = refusal(arith.AddParams, {"a": 1, "b": 2, "c": 3})
out["badLiteral"] = refusal(arith.DescribeParams, {"orderId": "o", "priority": "urgent"})
out["nullableMissing"] = refusal(arith.DescribeResult, {"orderId": "o", "lines": []})
out["negativeSleep"] = refusal(arith.SlowAddParams, {"a": 1, "b": 2, "sleepMs": -1})
result = arith.DescribeResult.model_validate({"orderId": "o", "lines": [{"itemName": "tea", "qty": 2}], "note": None})
out["nested"] = [type(result.lines[0]).__name__, result.lines[0].item_name]
out["resultToWire"] = result.model_dump(mode="json", by_alias=True)
out["optional"] = arith.PingParams().tag
out["numbers"] = [arith.AddResult(sum=5).model_dump_json(), arith.AddResult(sum=2.5).model_dump_json()]
recording = RecordingClient()
client = arith.ArithClient(recording)
described = asyncio.run(client.describe(arith.DescribeParams(order_id="o-9"), timeout_ms=50))
asyncio.run(client.ping(arith.PingParams()))
out["client"] = {"calls": recording.calls, "returns": type(described).__name__}
out["service"] = [issubclass(arith.ArithService, ABC), sorted(arith.ArithService.__abstractmethods__)]
out["contract"] = {
    "service": arith.arith_contract.service,
    "methods": {name: [entry.params_model.__name__, entry.result_model and entry.result_model.__name__, entry.handler_attr]
                for name, entry in arith.METHODS.items()},
}
print(json.dumps(out))
`;

describeWithPython('the generated Python', (python) => {
  let generated: string;
  beforeAll(async () => {
    generated = await generatePython();
  });
  afterAll(async () => {
    await rm(generated, { recursive: true, force: true });
  });

  it('imports with the clamator_protocol stand-in, and its models and client behave', () => {
    expect(runPython(python, generated, ROUND_TRIP)).toEqual({
      bySnakeName: { orderId: 'o-1' },
      fromWire: ['o-2', 'low'],
      unknownField: 'extra_forbidden',
      badLiteral: 'literal_error',
      nullableMissing: 'missing',
      negativeSleep: 'greater_than_equal',
      nested: ['DescribeResultLinesItem', 'tea'],
      resultToWire: { orderId: 'o', lines: [{ itemName: 'tea', qty: 2 }], note: null },
      optional: null,
      numbers: ['{"sum":5}', '{"sum":2.5}'],
      client: {
        calls: [
          ['arith', 'describe', { orderId: 'o-9' }, 50],
          ['arith', 'ping', {}],
        ],
        returns: 'DescribeResult',
      },
      service: [true, ['add', 'describe', 'divide', 'echo_text', 'ping', 'slow_add']],
      contract: {
        service: 'arith',
        methods: {
          add: ['AddParams', 'AddResult', 'add'],
          describe: ['DescribeParams', 'DescribeResult', 'describe'],
          divide: ['DivideParams', 'DivideResult', 'divide'],
          echoText: ['EchoTextParams', 'EchoTextResult', 'echo_text'],
          ping: ['PingParams', null, 'ping'],
          slowAdd: ['SlowAddParams', 'SlowAddResult', 'slow_add'],
        },
      },
    });
  });

  it('every shape the emitter writes is valid Pydantic', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'replayrail-rpc-shapes-'));
    try {
      const contract = defineContract('shape-shop', {
        shapes: defineMethod({
          params: z.object({
            userId: z.string().min(1),
            count: z.int().nonnegative(),
            tags: z.array(z.string()).max(3),
            pair: z.tuple([z.string(), z.int()]),
            byName: z.record(z.string(), z.number()),
            bySide: z.partialRecord(z.enum(['left', 'right']), z.boolean()),
            choice: z.union([z.string(), z.number()]),
            box: z.object({ size: z.int() }).nullable(),
            withDefault: z.number().default(3),
            anything: z.unknown(),
            from: z.string(),
            loose: z.looseObject({ a: z.string() }),
          }),
          result: z.union([z.object({ ok: z.literal(true) }), z.object({ ok: z.literal(false), reason: z.string() })]),
        }),
        note: defineNotification({ params: z.string().nullable() }),
      });
      const text = emitPython(lowerContract({ contract, exportName: 'contract', sourceName: 'shapes.ts' }));
      await writeFile(join(folder, 'shape_shop.py'), text);
      const checks = `
import json
import shape_shop as m
params = m.ShapesParams.model_validate({
    "userId": "u", "count": 2, "tags": ["a"], "pair": ["p", 1], "byName": {"x": 1.5}, "bySide": {"left": True},
    "choice": 7, "box": None, "from": "here", "loose": {"a": "b", "extra": 1},
})
print(json.dumps({
    "params": params.model_dump(mode="json", by_alias=True, exclude_unset=True),
    "defaulted": params.with_default,
    "keyword": params.from_,
    "results": [m.ShapesResult.model_validate({"ok": False, "reason": "r"}).root.reason,
                type(m.ShapesResult.model_validate({"ok": True}).root).__name__],
    "root": [m.NoteParams.model_validate("hi").root, m.NoteParams.model_validate(None).root],
}))
`;
      expect(runPython(python, folder, checks)).toEqual({
        params: {
          userId: 'u',
          count: 2,
          tags: ['a'],
          pair: ['p', 1],
          byName: { x: 1.5 },
          bySide: { left: true },
          choice: 7,
          box: null,
          from: 'here',
          loose: { a: 'b', extra: 1 },
        },
        defaulted: 3,
        keyword: 'here',
        results: ['r', 'ShapesResult1'],
        root: ['hi', null],
      });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  describeWithRedis('the Python peer on Redis', (redisUrl) => {
    let redis: Redis;
    let prefix: string;
    let server: PythonServer | undefined;
    beforeAll(() => {
      redis = new Redis(redisUrl);
    });
    afterEach(async () => {
      await server?.stop('SIGTERM');
      server = undefined;
      await deleteKeysUnder(redis, prefix);
    });
    afterAll(async () => {
      await redis.quit();
    });

    /** XADDs a request as a TypeScript client would and returns the raw envelope of its reply. */
    async function request(
      method: string,
      params: unknown,
      replies: string,
    ): Promise<{ id: string; envelope: string }> {
      const id = randomUUID();
      const envelope = JSON.stringify({ jsonrpc: '2.0', method: `arith.${method}`, params, id });
      await redis.xadd(`${prefix}:cmds:arith`, '*', 'type', 'rpc', 'envelope', envelope, 'reply-to', replies);
      for (;;) {
        const read = await redis.xread('BLOCK', 10_000, 'STREAMS', replies, '0-0');
        if (read === null) throw new Error(`no reply to ${method}`);
        for (const [, entries] of read) {
          for (const [entryId, fields] of entries) {
            await redis.xdel(replies, entryId);
            expect(fields.slice(0, 2)).toEqual(['type', 'rpc']);
            expect(fields[2]).toBe('envelope');
            const text = fields[3] as string;
            if ((JSON.parse(text) as { id?: unknown }).id === id) return { id, envelope: text };
          }
        }
      }
    }

    it('serve: answers in Python’s JSON spacing, passes an RpcError through, prints notifications', async () => {
      prefix = uniquePrefix('rpc-py');
      const generated = await generatePython();
      try {
        server = await startPythonServer({ python, redisUrl, prefix, generated, instanceId: 'py-1' });
        expect(await redis.xinfo('GROUPS', `${prefix}:cmds:arith`)).toEqual([
          expect.arrayContaining(['name', 'arith', 'last-delivered-id']),
        ]);
        const replies = `${prefix}:replies:ts-1`;

        const add = await request('add', { a: 2, b: 3 }, replies);
        expect(add.envelope).toBe(`{"jsonrpc": "2.0", "id": "${add.id}", "result": {"sum": 5}}`);
        const divide = await request('divide', { a: 1, b: 0 }, replies);
        expect(divide.envelope).toBe(
          `{"jsonrpc": "2.0", "id": "${divide.id}", "error": {"code": -32000, "message": "division by zero", "data": {"a": 1}}}`,
        );
        const echo = await request('echoText', { text: 'café ✓' }, replies);
        expect(echo.envelope).toBe(`{"jsonrpc": "2.0", "id": "${echo.id}", "result": {"text": "caf\\u00e9 \\u2713"}}`);
        const invalid = JSON.parse((await request('add', { a: 'x', b: 3 }, replies)).envelope);
        expect(invalid.error).toMatchObject({
          code: -32602,
          message: 'Invalid params',
          data: { errors: expect.any(Array) },
        });
        const missing = JSON.parse((await request('nope', {}, replies)).envelope);
        expect(missing.error).toEqual({ code: -32601, message: 'Method not found', data: null });

        const ping = JSON.stringify({ jsonrpc: '2.0', method: 'arith.ping', params: { tag: 't-1' } });
        await redis.xadd(`${prefix}:cmds:arith`, '*', 'type', 'rpc', 'envelope', ping);
        expect(await server.nextLine((line) => 'notified' in (line as object))).toEqual({ notified: { tag: 't-1' } });
        const consumers = (await redis.xinfo('CONSUMERS', `${prefix}:cmds:arith`, 'arith')) as unknown[][];
        expect(consumers.map((consumer) => consumer[1])).toEqual(['arith:py-1']);
        expect(await redis.xpending(`${prefix}:cmds:arith`, 'arith')).toEqual([0, null, null, null]);

        // Its stdin closing stops it cleanly.
        const stopping = server;
        server = undefined;
        expect(await stopping.stop()).toBe(0);
      } finally {
        await rm(generated, { recursive: true, force: true });
      }
    });

    it('call: runs its script against the serving peer, one JSON line per outcome', async () => {
      prefix = uniquePrefix('rpc-py');
      const generated = await generatePython();
      try {
        server = await startPythonServer({ python, redisUrl, prefix, generated });
        const caller = await runPythonCaller({ python, redisUrl, prefix, generated, instanceId: 'py-caller' });
        expect(caller.stderr).toBe('');
        expect(caller.code).toBe(0);
        expect(caller.lines).toEqual([
          { call: 'add', result: { sum: 5 } },
          { call: 'divide', error: { code: -32000, message: 'division by zero', data: { a: 1 } } },
          {
            call: 'addInvalid',
            error: { code: -32602, message: 'Invalid params', data: { errors: expect.any(Array) } },
          },
          { call: 'missing', error: { code: -32601, message: 'Method not found', data: null } },
          { call: 'echoText', result: { text: 'café ✓' } },
          {
            call: 'describe',
            result: { orderId: 'o-1', lines: [{ itemName: 'item of o-1', qty: 1 }], note: 'priority high' },
          },
          { notify: 'ping', sent: true },
          { call: 'slowAdd', timeout: true },
          { done: true },
        ]);
        expect(await server.nextLine((line) => 'notified' in (line as object))).toEqual({
          notified: { tag: 'from-python' },
        });
        // SIGTERM stops it cleanly, even with slowAdd still asleep.
        const stopping = server;
        server = undefined;
        expect(await stopping.stop('SIGTERM')).toBe(0);
      } finally {
        await rm(generated, { recursive: true, force: true });
      }
    });
  });
});
