"""Event bus between intake and workers: NATS JetStream when configured, in-process otherwise.

Subjects are ``watchfloor.<domain>.<event>``. Publishers may pass ``msg_id``: both buses drop a
second message with the same id (JetStream through its duplicate window), so a retried publish
does not produce a second event. Handlers must still be idempotent, because JetStream
redelivers any message whose handler did not finish (ack after commit).

>>> import asyncio
>>> async def demo():
...     bus = InProcessBus()
...     seen = []
...     async def handler(subject, payload): seen.append((subject, payload["n"]))
...     await bus.subscribe("watchfloor.demo.*", handler, durable="doc")
...     await bus.publish("watchfloor.demo.ping", {"n": 1}, msg_id="a")
...     await bus.publish("watchfloor.demo.ping", {"n": 1}, msg_id="a")
...     return seen
>>> asyncio.run(demo())
[('watchfloor.demo.ping', 1)]
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import itertools
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from watchfloor.errors import WatchfloorError
from watchfloor.settings import Settings, get_settings

log = logging.getLogger("watchfloor.events")
Handler = Callable[..., Awaitable[None]]  # (subject, payload[, headers=...])


@dataclass
class Message:
    subject: str
    payload: Any
    headers: dict[str, str]
    received_at: dt.datetime | None = None  # when the broker stored it (JetStream), UTC


def _stored_at(msg: Any) -> dt.datetime | None:
    """The time JetStream stored a delivered message (from its metadata), if it says."""
    try:
        return msg.metadata.timestamp
    except Exception:  # a message without JetStream metadata
        return None


def decode(data: bytes) -> Any:
    """A message's JSON. orjson reads a shipment three times faster than the standard
    library; what it refuses (NaN, numbers beyond a double) the standard library still reads,
    as the API does, so that validation names the field. One difference remains: an integer
    beyond 64 bits becomes a float, which for a count or an amount that large changes
    nothing."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def _encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, default=str).encode("utf-8")


BatchHandler = Callable[[list[Message]], Awaitable[None]]
SUBJECT_ROOT = "watchfloor"


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: ``*`` is one token, a final ``>`` is one or more tokens."""
    p, s = pattern.split("."), subject.split(".")
    for i, token in enumerate(p):
        if token == ">":
            return len(s) > i
        if i >= len(s) or (token != "*" and token != s[i]):
            return False
    return len(p) == len(s)


def wants_headers(handler: Handler) -> bool:
    """Handlers that declare a ``headers`` parameter also get the message headers."""
    return "headers" in inspect.signature(handler).parameters


class EventBus(Protocol):
    async def publish(
        self,
        subject: str,
        payload: dict[str, Any],
        *,
        msg_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None: ...

    async def publish_many(self, events: Sequence[tuple[str, dict[str, Any]]]) -> None: ...

    async def subscribe(self, subject: str, handler: Handler, *, durable: str) -> None: ...

    async def subscribe_batches(
        self, subject: str, handler: BatchHandler, *, durable: str, max_batch: int = 256
    ) -> None: ...

    async def listen(self, subject: str, handler: Handler) -> None:
        """Every process that listens gets every event on ``subject`` from now on (fan-out,
        not kept for a process that is down): for what each process must hear, such as a
        cache to drop."""
        ...

    async def close(self) -> None: ...


# this process among the others on one bus: a process ignores its own fan-out events
PROCESS = secrets.token_hex(8)
CACHE_SUBJECT = "cache.changed"  # a kind of record that scorers read changed: drop caches


@dataclass
class InProcessBus:
    """Delivers each event to matching handlers in the publishing process, in order."""

    _subs: list[tuple[str, Handler, bool]] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)

    async def publish(
        self,
        subject: str,
        payload: dict[str, Any],
        *,
        msg_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if msg_id is not None:
            if msg_id in self._seen:
                return
            self._seen.add(msg_id)
        for pattern, handler, with_headers in list(self._subs):
            if subject_matches(pattern, subject):
                if with_headers:
                    await handler(subject, payload, headers=dict(headers or {}))
                else:
                    await handler(subject, payload)

    async def publish_many(self, events: Sequence[tuple[str, dict[str, Any]]]) -> None:
        for subject, payload in events:
            await self.publish(subject, payload)

    async def subscribe(self, subject: str, handler: Handler, *, durable: str) -> None:
        self._subs.append((subject, handler, wants_headers(handler)))

    async def subscribe_batches(
        self, subject: str, handler: BatchHandler, *, durable: str, max_batch: int = 256
    ) -> None:
        async def one(subj: str, payload: Any, headers: dict[str, str]) -> None:
            await handler([Message(subj, payload, headers)])

        self._subs.append((subject, one, True))

    async def listen(self, subject: str, handler: Handler) -> None:
        self._subs.append((subject, handler, wants_headers(handler)))

    async def close(self) -> None:
        self._subs.clear()


class JetStreamBus:
    """NATS JetStream: a persistent stream, durable pull consumers, ack after the handler."""

    def __init__(
        self,
        url: str,
        *,
        stream: str = "WATCHFLOOR",
        subject_root: str = SUBJECT_ROOT,
        ack_wait: float = 30.0,
    ) -> None:
        self.url, self.stream, self.ack_wait = url, stream, ack_wait
        self.subject_root = subject_root
        self._nc: Any = None
        self._js: Any = None
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self._ack_prefix = ""  # the inbox that JetStream confirms publish_many's events to
        self._confirming: dict[str, _Confirmations] = {}
        self._rounds = itertools.count()

    async def connect(self) -> JetStreamBus:
        import nats
        from nats.js.api import StreamConfig
        from nats.js.errors import BadRequestError

        self._nc = await nats.connect(self.url, connect_timeout=5, max_reconnect_attempts=3)
        self._js = self._nc.jetstream()
        config = StreamConfig(
            name=self.stream, subjects=[f"{self.subject_root}.>"], duplicate_window=120.0
        )
        try:
            await self._js.add_stream(config)
        except BadRequestError:
            await self._js.update_stream(config)
        return self

    async def publish(
        self,
        subject: str,
        payload: dict[str, Any],
        *,
        msg_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        all_headers = dict(headers or {})
        if msg_id:
            all_headers["Nats-Msg-Id"] = msg_id
        data = _encode(payload)
        await self._js.publish(subject, data, headers=all_headers or None, stream=self.stream)

    async def publish_many(
        self, events: Sequence[tuple[str, dict[str, Any]]], *, timeout: float = 10.0
    ) -> None:
        """Publish the events and wait until JetStream has stored every one, as
        :meth:`publish` waits for one; raises if any was refused or unconfirmed after
        ``timeout`` seconds. All are sent before the first confirmation is awaited, and the
        confirmations are counted on one subscription: a request each (a timer, a future
        and an inbox per event) cost a stream worker about a third more CPU per message."""
        if not events:
            return
        if not self._ack_prefix:
            self._ack_prefix = f"{self._nc.new_inbox()}."
            await self._nc.subscribe(f"{self._ack_prefix}*.*", cb=self._confirmed)
        round_id = str(next(self._rounds))
        waiting = self._confirming[round_id] = _Confirmations(len(events))
        headers = {"Nats-Expected-Stream": self.stream}
        try:
            for n, (subject, payload) in enumerate(events):
                reply = f"{self._ack_prefix}{round_id}.{n}"
                await self._nc.publish(subject, _encode(payload), reply=reply, headers=headers)
            await asyncio.wait_for(waiting.done, timeout)
        except TimeoutError:
            raise WatchfloorError(
                f"JetStream confirmed {waiting.confirmed} of {len(events)} events "
                f"within {timeout:g} s"
            ) from None
        finally:
            del self._confirming[round_id]
        if waiting.refused:
            raise WatchfloorError(
                f"JetStream refused {len(waiting.refused)} of {len(events)} events, "
                f"e.g. {waiting.refused[0]}"
            )

    async def _confirmed(self, msg: Any) -> None:
        round_id = msg.subject[len(self._ack_prefix) :].partition(".")[0]
        waiting = self._confirming.get(round_id)
        if waiting is None:  # the round timed out
            return
        headers = msg.headers or {}
        if headers.get("Status"):  # 503: no stream takes the subject
            waiting.refuse(f"status {headers['Status']} {headers.get('Description', '')}")
        elif b'"error"' in msg.data:
            waiting.refuse(str(json.loads(msg.data).get("error")))
        else:
            waiting.confirm()

    async def _pull(self, subject: str, durable: str, **config: Any) -> Any:
        """A durable pull consumer: redelivered after ``ack_wait``, at most 20 times."""
        from nats.js.api import ConsumerConfig

        return await self._js.pull_subscribe(
            subject,
            durable=durable,
            stream=self.stream,
            config=ConsumerConfig(ack_wait=self.ack_wait, max_deliver=20, **config),
        )

    async def subscribe(self, subject: str, handler: Handler, *, durable: str) -> None:
        sub = await self._pull(subject, durable)
        self._start(self._consume(sub, handler))

    async def listen(self, subject: str, handler: Handler) -> None:
        """A plain NATS subscription of this connection: JetStream's publishes reach it too,
        and every listening process gets each event (no durable consumer shares them out)."""

        async def deliver(msg: Any) -> None:
            try:
                await handler(msg.subject, decode(msg.data))
            except Exception:
                log.exception("listener failed on %s", msg.subject)

        await self._nc.subscribe(subject, cb=deliver)

    async def subscribe_batches(
        self, subject: str, handler: BatchHandler, *, durable: str, max_batch: int = 256
    ) -> None:
        """The handler gets every message that is waiting (up to ``max_batch``) at once, so
        that it can store them in one transaction; all are acked after it returns, all are
        redelivered if it raises."""
        sub = await self._pull(subject, durable, max_ack_pending=max_batch * 4)
        self._start(self._consume_batches(sub, handler, max_batch))

    def _start(self, consumer: Any) -> None:
        task = asyncio.create_task(consumer)
        task.add_done_callback(_report_end)
        self._tasks.append(task)

    async def _consume_batches(self, sub: Any, handler: BatchHandler, max_batch: int) -> None:

        while not self._closing:
            msgs = await _fetch(sub, max_batch)
            good, raw = [], []
            for msg in msgs:
                try:
                    payload = decode(msg.data)
                    good.append(
                        Message(msg.subject, payload, dict(msg.headers or {}), _stored_at(msg))
                    )
                    raw.append(msg)
                except ValueError:
                    log.warning("dropping a message on %s that is not JSON", msg.subject)
                    await msg.term()
            if not good:
                continue
            try:
                await handler(good)
            except asyncio.CancelledError:
                return
            except Exception:
                log.exception("batch handler failed; %d messages will be redelivered", len(raw))
                for msg in raw:
                    await msg.nak(delay=1.0)
            else:
                for msg in raw:
                    await msg.ack()

    async def _consume(self, sub: Any, handler: Handler) -> None:

        with_headers = wants_headers(handler)

        while not self._closing:
            msgs = await _fetch(sub, 64)
            for msg in msgs:
                try:
                    payload = decode(msg.data)
                except ValueError:
                    log.warning("dropping a message on %s that is not JSON", msg.subject)
                    await msg.term()
                    continue
                try:
                    if with_headers:
                        await handler(msg.subject, payload, headers=dict(msg.headers or {}))
                    else:
                        await handler(msg.subject, payload)
                except asyncio.CancelledError:
                    return
                except Exception:
                    log.exception("handler failed on %s; message will be redelivered", msg.subject)
                    await msg.nak(delay=1.0)
                else:
                    await msg.ack()

    async def delete_stream(self) -> None:
        """Remove the stream and everything in it (tests and decommissioning)."""
        await self._js.delete_stream(self.stream)

    async def close(self) -> None:
        # the flag, not only the cancellation, ends the consumers: Python 3.11's wait_for
        # (inside the NATS client's fetch) can swallow a cancellation that arrives as a
        # message does, and the loop would then go on pulling for ever
        self._closing = True
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _, stuck = await asyncio.wait(self._tasks, timeout=5.0)
            if stuck:
                log.error("%d JetStream consumers did not stop within 5 s of closing", len(stuck))
        self._tasks.clear()
        if self._nc is not None:
            # flush sends the acks still buffered; drain() would wait for the cancelled pull
            # requests until its timeout
            await self._nc.flush()
            await self._nc.close()
            self._nc = None


class _Confirmations:
    """JetStream's answers to one round of :meth:`JetStreamBus.publish_many`."""

    def __init__(self, expected: int) -> None:
        self.expected, self.confirmed = expected, 0
        self.refused: list[str] = []
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def confirm(self) -> None:
        self.confirmed += 1
        self._check()

    def refuse(self, why: str) -> None:
        self.refused.append(why)
        self._check()

    def _check(self) -> None:
        if self.confirmed + len(self.refused) >= self.expected and not self.done.done():
            self.done.set_result(None)


def _report_end(task: asyncio.Task[None]) -> None:
    """A consumer ends only when the bus closes; say so loudly if it ended otherwise."""
    if not task.cancelled() and task.exception() is not None:
        log.error("a JetStream consumer stopped", exc_info=task.exception())


async def _fetch(sub: Any, batch: int) -> list[Any]:
    """The waiting messages, or none after a second. A consumer must outlive every error
    of a pull (a server restarting, a request the server times out under load): one that
    ended there would leave its messages unread with nothing in the logs but this line."""
    import nats.errors

    try:
        return list(await sub.fetch(batch=batch, timeout=1.0))
    except (TimeoutError, nats.errors.TimeoutError):
        return []
    except asyncio.CancelledError:
        raise
    except Exception:
        log.warning("pulling from JetStream failed; trying again", exc_info=True)
        await asyncio.sleep(0.5)
        return []


async def connect_bus(settings: Settings | None = None) -> EventBus:
    """The bus the settings ask for: JetStream when ``WATCHFLOOR_NATS_URL`` is set."""
    settings = settings or get_settings()
    if settings.nats_url:
        bus = JetStreamBus(
            settings.nats_url, stream=settings.nats_stream, subject_root=settings.nats_subject_root
        )
        return await bus.connect()
    return InProcessBus()


# --- the outbox: events of a transaction, published once it commits ---------------------------
#
# Services are synchronous and never hold the bus. They queue what happened on the session;
# a committed transaction makes its events ready, a rolled-back one drops them, and whoever
# owns the bus (the worker after each commit, the web app after each request) publishes
# what is ready. Nothing is published about work that did not happen.

_PENDING = "watchfloor.outbox.pending"
_READY = "watchfloor.outbox.ready"


def queue(session: Session, tail: str, payload: dict[str, Any]) -> None:
    """Publish ``payload`` as ``<root>.<tail>`` once the session's transaction commits."""
    session.info.setdefault(_PENDING, []).append((tail, payload))


def committed(session: Session) -> list[tuple[str, dict[str, Any]]]:
    """The events of the session's committed transactions not yet taken (and take them)."""
    return session.info.pop(_READY, [])


@sa_event.listens_for(Session, "after_commit")
def _ready(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_READY, []).extend(pending)


@sa_event.listens_for(Session, "after_rollback")
def _dropped(session: Session) -> None:
    session.info.pop(_PENDING, None)
