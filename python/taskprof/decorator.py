# SPDX-License-Identifier: MIT
"""@profiler: marks a task for the kernel-level collector.

Each call runs between taskprof_marker_begin and taskprof_marker_end, with
the task's process_name, stage and env taken from the object, as the
specification's decorator takes them. The decorator measures nothing
itself: `taskprof record -t 'marker:NAME'` or a collector does, from the
kernel, and writes the Profile. Without one, a call costs two calls of
empty native functions.

It returns what the function returns and raises what it raises. It works
on functions, methods, generators (the profile spans the first step to the
last) and coroutines (the same: from the first step to completion, with
every other coroutine the loop ran meanwhile on that thread). A region
belongs to the thread that began it.
"""
import functools
import inspect
import itertools
import threading

from . import _native

COMPLETED, UNWOUND = 0, 1
NAME_MAX = 63  # bytes the probe reads of a name, stage or env

# Tokens are unique per process; the C API's come from the library's own
# counter, so these start far above it. next() on a count is atomic.
_tokens = itertools.count(1 << 62)
_ids = {}
_ids_lock = threading.Lock()


def _utf8(s):
    if s is None:
        return None
    b = str(s).encode("utf-8", "replace")[:NAME_MAX]
    return b.decode("utf-8", "ignore").encode("utf-8")


def _marker_id(name, stage, env):
    """A marker id per (name, stage, env), and the bytes the probe reads
    (kept alive here, so their pages stay resident and readable)."""
    key = (name, stage, env)
    hit = _ids.get(key)
    if hit is None:
        with _ids_lock:
            hit = _ids.get(key)
            if hit is None:
                hit = (_native.marker.taskprof_marker_id(), _utf8(name), _utf8(stage),
                       _utf8(env))
                _ids[key] = hit
    return hit


def _label(func):
    """A callable's name: its qualified name, or its type's (a partial, a
    callable object, a builtin)."""
    return (getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or
            type(func).__name__)


def _text(v):
    """An attribute as a name: a string, or None when it cannot be one."""
    if v is None:
        return None
    try:
        return v if isinstance(v, str) else str(v)
    except Exception:
        return None


def _naming(func):
    """How a call names its task: from self for a method, as the
    specification's decorator does; by qualified name for a function. A
    name that cannot be read (a property that raises, an odd __getattr__)
    falls back to Class.method: naming never stops the call."""
    label = _label(func)
    try:
        params = list(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        params = []
    if params and params[0] == "self":
        def names(args):
            obj = args[0] if args else None
            fallback = f"{type(obj).__name__}.{getattr(func, '__name__', label)}"
            try:
                name = _text(getattr(obj, "process_name", None)) or fallback
                return name, _text(getattr(obj, "stage", None)), _text(getattr(obj, "env", None))
            except Exception:
                return fallback, None, None
    else:
        def names(args):
            return label, None, None
    return names


def _begin(names, args):
    """The region's token, or None if it could not begin (near the recursion
    limit a ctypes call itself fails): the call then runs unmarked, and
    raises what it would have raised."""
    try:
        mid, n, s, e = _marker_id(*names(args))
        token = next(_tokens)
        _native.marker.taskprof_marker_begin(token, mid, n, s, e)
        return token
    except Exception:
        return None


def _end(token, status):
    if token is None:
        return
    try:
        _native.marker.taskprof_marker_end(token, status)
    except Exception:
        pass  # the region stays open until its thread ends: counted as exited


def _plain(func, names):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        token = _begin(names, args)
        try:
            result = func(*args, **kwargs)
        except BaseException:
            _end(token, UNWOUND)
            raise
        _end(token, COMPLETED)
        return result
    return wrapper


def _generator(func, names):
    def drive(gen, args):
        token = _begin(names, args)
        try:
            result = yield from gen
        except GeneratorExit:
            _end(token, COMPLETED)  # its consumer stopped early: not an error
            raise
        except BaseException:
            _end(token, UNWOUND)
            raise
        _end(token, COMPLETED)
        return result

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        # made now, so bad arguments raise at the call, as undecorated
        return drive(func(*args, **kwargs), args)
    return wrapper


def _coroutine(func, names):
    @functools.wraps(func)
    async def wrapper(*args, **kwargs):
        token = _begin(names, args)
        try:
            result = await func(*args, **kwargs)
        except BaseException:
            _end(token, UNWOUND)
            raise
        _end(token, COMPLETED)
        return result
    return wrapper


def profiler(func):
    """Marks func, a task's run method or any function, generator or
    coroutine function, as a task for taskprof's collector."""
    if isinstance(func, (staticmethod, classmethod)):
        return type(func)(profiler(func.__func__))
    if _native.marker is None or inspect.isasyncgenfunction(func) or not callable(func):
        # nothing can see markers without the library; async generators
        # (and a property, say) are passed through unmarked (README)
        return func
    names = _naming(func)
    if inspect.iscoroutinefunction(func):
        return _coroutine(func, names)
    if inspect.isgeneratorfunction(func):
        return _generator(func, names)
    return _plain(func, names)
