"""Requests in flight together: a bounded pool (--concurrency), and values made once whoever asks first.

The suite sends the requests that do not depend on each other together, so a run over a slow network
costs about its longest chain of dependent requests rather than the sum of them all.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import queue
import sys
import threading
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import Future, wait
from functools import partial
from typing import Any, Generic, Self, TypeVar, overload

T = TypeVar("T")
U = TypeVar("U")

# glibc's mallopt parameter for the most malloc arenas a process keeps (malloc.h).
M_ARENA_MAX = -8


def share_malloc_arenas() -> None:
    """Have the run's threads share one malloc arena, as the main thread's: glibc gives each thread that
    allocates at once (the pool's, the embedded server's) an arena of its own, which a run leaves fragmented
    (a default run peaked at 366 MiB, and at 251 MiB sharing one; its time is the same). Elsewhere, nothing."""
    libc = ctypes.util.find_library("c") if sys.platform == "linux" else None
    mallopt = getattr(ctypes.CDLL(libc), "mallopt", None) if libc else None  # musl has none
    if mallopt is not None:
        mallopt(M_ARENA_MAX, 1)


class Once:
    """Values made once per key; a caller asking while another makes the value waits for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[Hashable, Future[Any]] = {}

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """Return the value of a key, made now by this caller if nobody has begun to."""
        with self._lock:
            future = self._futures.get(key)
            mine = future is None
            if future is None:
                future = self._futures[key] = Future()
        if mine:
            try:
                future.set_result(make())
            except BaseException as error:  # every later caller gets the same failure
                future.set_exception(error)
        return future.result()  # type: ignore[no-any-return]

    def made(self, key: Hashable) -> bool:
        """Tell whether a key's value is made, and made without failing."""
        with self._lock:
            future = self._futures.get(key)
        return future is not None and future.done() and future.exception() is None


class made_once(Generic[T]):
    """A cached property made once per instance even when threads ask together.

    Unlike Python 3.11's cached_property, it holds no lock shared by every instance, so the reads of
    many creates go out together rather than one after another.
    """

    def __init__(self, method: Callable[[Any], T]) -> None:
        self.method = method
        self.__doc__ = method.__doc__

    @staticmethod
    def preset(instance: object, name: str, value: Any) -> None:
        """Give an instance's value before anyone asks (a batch made it); a value already made stays."""
        once: Once = instance.__dict__.setdefault("_made_once", Once())
        once.get(name, lambda: value)

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, instance: object, owner: type[Any]) -> T: ...

    def __get__(self, instance: object | None, owner: type[Any]) -> Self | T:
        if instance is None:
            return self
        once: Once = instance.__dict__.setdefault("_made_once", Once())  # dict.setdefault is atomic
        return once.get(self.method.__name__, lambda: self.method(instance))


class Pool:
    """At most ``size`` calls at a time on threads of their own (size 1: one after another, on the caller).

    The threads are daemons: an interrupted run (Ctrl-C, SIGTERM) writes its reports and exits without
    waiting for a request the server never answers, which ThreadPoolExecutor's exit hook would do.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._jobs: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def map(self, function: Callable[[T], U], items: Iterable[T]) -> list[U]:
        """Call a function on each item, together; return the results in order (the first failure is raised)."""
        if self.size <= 1:
            return [function(item) for item in items]
        futures = [self._submit(partial(function, item)) for item in items]
        return [future.result() for future in futures]

    def settle(self, calls: Iterable[Callable[[], object]]) -> None:
        """Run calls together and wait for all; their failures are left for whoever asks again."""
        if self.size <= 1:
            for call in calls:
                _quietly(call)
            return
        wait([self._submit(partial(_quietly, call)) for call in calls])

    def close(self) -> None:
        """Cancel the calls not yet begun and let the threads end."""
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                job[0].cancel()
        for _ in self._threads:
            self._jobs.put(None)

    def _submit(self, call: Callable[[], U]) -> Future[U]:
        """Queue a call; start another thread while fewer than ``size`` run."""
        future: Future[U] = Future()
        self._jobs.put((future, call))
        with self._lock:
            if len(self._threads) < self.size:
                thread = threading.Thread(target=self._work, name=f"fhir-{len(self._threads)}", daemon=True)
                self._threads.append(thread)
                thread.start()
        return future

    def _work(self) -> None:
        """Run queued calls until told to stop."""
        while (job := self._jobs.get()) is not None:
            future, call = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(call())
            except BaseException as error:  # the caller of result() sees it, as with an executor
                future.set_exception(error)


def _quietly(call: Callable[[], object]) -> None:
    """Make a call whose failure is not this caller's to report (a case asking later reports it)."""
    try:
        call()
    except BaseException:  # pytest's Skipped (a BaseException) and ConformanceFailure both land here
        return
