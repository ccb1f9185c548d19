# SPDX-License-Identifier: MIT
"""The native side: libtaskprof-marker, whose empty begin and end functions
the collector's probes sit on, and libtaskprof, the C repository that
creates databases with the schema record and collect use.

Both are looked for in the same places as `taskprof record` looks: the
environment ($TASKPROF_MARKER_LIB, $TASKPROF_LIB), the build tree this
package sits in, then the installed library directories. Without the
marker library, markers do nothing and nothing can see them; a program
behaves the same either way.
"""
import ctypes
import os

_HERE = os.path.dirname(os.path.abspath(__file__))
try:
    from . import _config  # written by make install
    _LIBDIRS = [_config.LIBDIR]
except ImportError:
    _LIBDIRS = []
_LIBDIRS += [os.path.join(_HERE, "..", "..", "build"), "/usr/local/lib", "/usr/lib"]


def _find(name, env):
    path = os.environ.get(env)
    if path:
        return path
    for d in _LIBDIRS:
        cand = os.path.join(d, name)
        if os.path.isfile(cand):
            return os.path.realpath(cand)
    return None


def _load_marker():
    path = _find("libtaskprof-marker.so", "TASKPROF_MARKER_LIB")
    try:
        # PyDLL: the GIL stays held over the two empty calls; releasing and
        # taking it back cost 1.6 -> 5 us a call with four threads
        lib = ctypes.PyDLL(path) if path else None
    except OSError:
        return None
    if lib is None:
        return None
    lib.taskprof_marker_id.restype = ctypes.c_uint32
    lib.taskprof_marker_id.argtypes = []
    lib.taskprof_marker_begin.restype = None
    lib.taskprof_marker_begin.argtypes = [ctypes.c_uint64, ctypes.c_uint32, ctypes.c_char_p,
                                          ctypes.c_char_p, ctypes.c_char_p]
    lib.taskprof_marker_end.restype = None
    lib.taskprof_marker_end.argtypes = [ctypes.c_uint64, ctypes.c_uint32]
    return lib


marker = _load_marker()
marker_path = marker._name if marker is not None else None


def create_database(path):
    """Creates (or migrates) a taskprof database at path with the C schema."""
    lib_path = _find("libtaskprof.so", "TASKPROF_LIB")
    if not lib_path:
        return "libtaskprof.so not found: build it with make, install it, or set TASKPROF_LIB"
    lib = ctypes.CDLL(lib_path)
    lib.profile_repo__open.restype = ctypes.c_void_p
    lib.profile_repo__open.argtypes = [ctypes.c_char_p, ctypes.c_uint]
    lib.profile_repo__open_error.restype = ctypes.c_char_p
    lib.profile_repo__close.argtypes = [ctypes.c_void_p]
    repo = lib.profile_repo__open(os.fsencode(path), 0)
    if not repo:
        return lib.profile_repo__open_error().decode(errors="replace")
    lib.profile_repo__close(repo)
    return None
