"""A Python peer for the rpc package's interop tests.

It speaks clamator's wire on Redis Streams itself (redis-py, asyncio), with the
models that ``replayrail-rpc codegen`` generated for the test contract ``arith``
(imported from ``--generated``). The wire, in short (the package's README.md has
it in full):

- requests and notifications go to the stream ``<prefix>:cmds:<service>`` as
  entries with the fields ``type`` (always ``rpc``), ``envelope`` (a JSON-RPC 2.0
  object, ``method`` being ``<service>.<method>``) and, for a request only,
  ``reply-to``;
- servers read that stream in the consumer group ``<service>``, each as the
  consumer ``<service>:<instanceId>``, and add the reply to the ``reply-to``
  stream (``MAXLEN ~ 1024``, fields ``type`` and ``envelope``);
- a client reads its own reply stream ``<prefix>:replies:<instanceId>`` with plain
  ``XREAD BLOCK`` from ``0-0`` and deletes it when it stops;
- errors: -32601 method not found (data null), -32602 invalid params (data
  ``{"errors": [...]}``), -32603 a handler's uncaught exception, and a handler's
  ``RpcError(code, message, data)`` as given. Python writes JSON with
  ``json.dumps``' default spacing (``", "``, ``": "``) and ``\\u`` escapes.

Usage:

    python peer.py serve --redis URL --prefix P --generated DIR [--instance-id ID]
    python peer.py call  --redis URL --prefix P --generated DIR [--instance-id ID]
                         [--timeout-ms N] [--slow-sleep-ms N] [--slow-timeout-ms N]

``serve`` creates the group at ``$`` with MKSTREAM (as clamator does: requests
sent before that are never served), prints ``{"ready": true}``, then serves
``arith`` one request at a time, printing ``{"notified": {...}}`` for each
``ping``. It stops on SIGTERM or SIGINT, or when its stdin (when a pipe) closes.

``call`` runs a fixed script against whichever server serves ``arith`` and prints
one JSON line per outcome, then ``{"done": true}``:
``{"call": NAME, "result": ...}``, ``{"call": NAME, "error": {"code", "message",
"data"}}``, ``{"call": NAME, "timeout": true}`` or ``{"notify": "ping", "sent": true}``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import signal
import stat
import sys
import uuid
from types import ModuleType
from typing import Any, Awaitable, Callable

from clamator_protocol import RpcError
from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import ResponseError

SERVICE = "arith"
REPLY_MAXLEN = 1024


def command_stream(prefix: str, service: str) -> str:
    return f"{prefix}:cmds:{service}"


def reply_stream(prefix: str, instance_id: str) -> str:
    return f"{prefix}:replies:{instance_id}"


def emit(line: dict[str, Any]) -> None:
    """One JSON line on stdout, flushed at once: the test reads them as they come."""
    print(json.dumps(line), flush=True)


def log(message: str) -> None:
    print(f"peer: {message}", file=sys.stderr, flush=True)


def load_generated(folder: str) -> ModuleType:
    """The generated module for ``arith`` (``arith.py`` in ``folder``)."""
    sys.path.insert(0, os.path.abspath(folder))
    return importlib.import_module(SERVICE)


def error_reply(request_id: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message, "data": data}}


def make_service(generated: ModuleType) -> Any:
    """The arith handlers, on the generated ``ArithService`` ABC."""

    class Arith(generated.ArithService):
        async def add(self, params: Any) -> Any:
            return generated.AddResult(sum=params.a + params.b)

        async def slow_add(self, params: Any) -> Any:
            await asyncio.sleep(params.sleep_ms / 1000)
            return generated.SlowAddResult(sum=params.a + params.b)

        async def divide(self, params: Any) -> Any:
            if params.b == 0:
                raise RpcError(-32000, "division by zero", {"a": params.a})
            return generated.DivideResult(q=params.a / params.b)

        async def echo_text(self, params: Any) -> Any:
            return generated.EchoTextResult(text=params.text)

        async def describe(self, params: Any) -> Any:
            # Built from wire names, so this file needs no generated nested class's name.
            return generated.DescribeResult.model_validate(
                {
                    "orderId": params.order_id,
                    "lines": [{"itemName": f"item of {params.order_id}", "qty": 1}],
                    "note": None if params.priority is None else f"priority {params.priority}",
                }
            )

        async def ping(self, params: Any) -> None:
            emit({"notified": params.model_dump(mode="json", by_alias=True, exclude_unset=True)})

    return Arith()


async def answer(generated: ModuleType, service: Any, envelope: dict[str, Any]) -> dict[str, Any] | None:
    """The reply to one request (None for a notification), as clamator's server builds it."""
    request_id = envelope.get("id")
    notification = request_id is None
    method = envelope["method"].partition(".")[2]
    entry = generated.METHODS.get(method)
    if entry is None:
        return None if notification else error_reply(request_id, -32601, "Method not found")
    try:
        params = entry.params_model.model_validate(envelope.get("params", {}))
    except ValidationError as error:
        return None if notification else error_reply(request_id, -32602, "Invalid params", {"errors": error.errors()})
    try:
        result = await getattr(service, entry.handler_attr)(params)
    except RpcError as error:
        return None if notification else error_reply(request_id, error.code, error.message, error.data)
    except Exception as error:  # noqa: BLE001 - any handler failure is an answer, as in clamator
        data = {"name": type(error).__name__, "message": str(error)}
        return None if notification else error_reply(request_id, -32603, "Internal error", data)
    if notification or entry.result_model is None:
        return None
    try:
        validated = entry.result_model.model_validate(result)
    except ValidationError as error:
        return error_reply(request_id, -32603, "Result validation failed", {"errors": error.errors()})
    # Unset optional fields stay off the wire: zod's .optional() refuses a null.
    return {"jsonrpc": "2.0", "id": request_id, "result": validated.model_dump(mode="json", by_alias=True, exclude_unset=True)}


def parse_envelope(fields: dict[str, str]) -> dict[str, Any] | None:
    """The entry's envelope when it is a request or notification for arith; None otherwise."""
    try:
        envelope = json.loads(fields.get("envelope", ""))
    except ValueError:
        return None
    if not isinstance(envelope, dict) or envelope.get("jsonrpc") != "2.0":
        return None
    service, dot, method = str(envelope.get("method", "")).partition(".")
    if not dot or service != SERVICE or not method:
        return None
    return envelope


async def serve_entries(redis: Redis, generated: ModuleType, instance_id: str, prefix: str) -> None:
    stream = command_stream(prefix, SERVICE)
    consumer = f"{SERVICE}:{instance_id}"
    service = make_service(generated)
    while True:
        try:
            batches = await redis.xreadgroup(SERVICE, consumer, {stream: ">"}, count=16, block=1000)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - a dropped connection: try again shortly
            log(f"read failed: {error}")
            await asyncio.sleep(0.1)
            continue
        for _stream, entries in batches or []:
            for entry_id, fields in entries:
                envelope = parse_envelope(fields)
                if envelope is None:
                    # An entry that is not a valid request is dropped unanswered (its caller times out).
                    log(f"dropped entry {entry_id}: not a valid request")
                else:
                    reply = await answer(generated, service, envelope)
                    reply_to = fields.get("reply-to")
                    if reply is not None and reply_to:
                        body = json.dumps(reply, default=str)
                        await redis.xadd(reply_to, {"type": "rpc", "envelope": body}, maxlen=REPLY_MAXLEN, approximate=True)
                await redis.xack(stream, SERVICE, entry_id)


async def stdin_closed() -> None:
    """Returns when stdin, if it is a pipe or socket, reaches its end; never otherwise."""
    mode = os.fstat(sys.stdin.fileno()).st_mode
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        await asyncio.Event().wait()
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.read(4096):
        pass


async def serve(args: argparse.Namespace) -> None:
    generated = load_generated(args.generated)
    redis = Redis.from_url(args.redis, decode_responses=True)
    try:
        await redis.xgroup_create(command_stream(args.prefix, SERVICE), SERVICE, id="$", mkstream=True)
    except ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    tasks = [
        asyncio.create_task(serve_entries(redis, generated, args.instance_id, args.prefix)),
        asyncio.create_task(stdin_closed()),
    ]
    for task in tasks:
        task.add_done_callback(lambda _task: stop.set())
    emit({"ready": True})
    await stop.wait()
    for task in tasks:
        task.cancel()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    await redis.aclose()
    failures = [item for item in outcomes if isinstance(item, Exception)]
    if failures:
        raise failures[0]


class RedisClamatorClient:
    """A ``ClamatorClient`` on clamator's wire: what the generated ``ArithClient`` calls through."""

    def __init__(self, redis: Redis, prefix: str, instance_id: str, default_timeout_ms: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self._replies = reply_stream(prefix, instance_id)
        self._default_timeout_ms = default_timeout_ms
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._reader = asyncio.create_task(self._read_replies())

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await self._redis.delete(self._replies)

    async def call(self, service: str, method: str, params: Any, *, timeout_ms: int | None = None) -> Any:
        request_id = str(uuid.uuid4())
        envelope = {"jsonrpc": "2.0", "method": f"{service}.{method}", "params": params, "id": request_id}
        reply: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = reply
        try:
            fields = {"type": "rpc", "envelope": json.dumps(envelope), "reply-to": self._replies}
            await self._redis.xadd(command_stream(self._prefix, service), fields)
            answer = await asyncio.wait_for(reply, (timeout_ms or self._default_timeout_ms) / 1000)
        finally:
            self._pending.pop(request_id, None)
        if "error" in answer:
            error = answer["error"]
            raise RpcError(error["code"], error["message"], error.get("data"))
        return answer.get("result")

    async def notify(self, service: str, method: str, params: Any) -> None:
        envelope = {"jsonrpc": "2.0", "method": f"{service}.{method}", "params": params}
        await self._redis.xadd(command_stream(self._prefix, service), {"type": "rpc", "envelope": json.dumps(envelope)})

    async def _read_replies(self) -> None:
        last_id = "0-0"
        while True:
            batches = await self._redis.xread({self._replies: last_id}, block=1000)
            for _stream, entries in batches or []:
                for entry_id, fields in entries:
                    last_id = entry_id
                    try:
                        reply = json.loads(fields.get("envelope", ""))
                    except ValueError:
                        log(f"unreadable reply {entry_id}")
                        continue
                    waiting = self._pending.pop(str(reply.get("id")), None)
                    if waiting is not None and not waiting.done():
                        waiting.set_result(reply)


def as_json(value: Any) -> Any:
    return value.model_dump(mode="json", by_alias=True) if hasattr(value, "model_dump") else value


async def outcome(name: str, make: Callable[[], Awaitable[Any]]) -> dict[str, Any]:
    try:
        return {"call": name, "result": as_json(await make())}
    except RpcError as error:
        return {"call": name, "error": {"code": error.code, "message": error.message, "data": error.data}}
    except TimeoutError:
        return {"call": name, "timeout": True}


async def call(args: argparse.Namespace) -> None:
    generated = load_generated(args.generated)
    redis = Redis.from_url(args.redis, decode_responses=True)
    client = RedisClamatorClient(redis, args.prefix, args.instance_id, args.timeout_ms)
    arith = generated.ArithClient(client)
    await client.start()
    try:
        script: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            ("add", lambda: arith.add(generated.AddParams(a=2, b=3))),
            ("divide", lambda: arith.divide(generated.DivideParams(a=1, b=0))),
            # Sent raw, past the model, so that the server is the one to refuse it.
            ("addInvalid", lambda: client.call(SERVICE, "add", {"a": "x", "b": 3})),
            ("missing", lambda: client.call(SERVICE, "missing", {})),
            ("echoText", lambda: arith.echo_text(generated.EchoTextParams(text="café ✓"))),
            ("describe", lambda: arith.describe(generated.DescribeParams(order_id="o-1", priority="high"))),
        ]
        for name, make in script:
            emit(await outcome(name, make))
        await arith.ping(generated.PingParams(tag="from-python"))
        emit({"notify": "ping", "sent": True})
        # Last, as it keeps a one-request-at-a-time server busy for its whole sleep.
        slow = generated.SlowAddParams(a=1, b=2, sleep_ms=args.slow_sleep_ms)
        emit(await outcome("slowAdd", lambda: arith.slow_add(slow, timeout_ms=args.slow_timeout_ms)))
        emit({"done": True})
    finally:
        await client.stop()
        await redis.aclose()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A Python peer on clamator's wire, for the arith test contract.")
    parser.add_argument("mode", choices=["serve", "call"])
    parser.add_argument("--redis", required=True, help="Redis URL, e.g. redis://127.0.0.1:6379")
    parser.add_argument("--prefix", required=True, help="the key prefix, used as given")
    parser.add_argument("--generated", required=True, help="the folder holding the generated arith.py")
    parser.add_argument("--instance-id", default=str(uuid.uuid4()), help="this process's instance id")
    parser.add_argument("--timeout-ms", type=int, default=10_000, help="call: each call's timeout")
    parser.add_argument("--slow-sleep-ms", type=int, default=3_000, help="call: how long slowAdd sleeps")
    parser.add_argument("--slow-timeout-ms", type=int, default=200, help="call: slowAdd's (shorter) timeout")
    return parser.parse_args()


def main() -> None:
    args = arguments()
    asyncio.run(serve(args) if args.mode == "serve" else call(args))


if __name__ == "__main__":
    main()
