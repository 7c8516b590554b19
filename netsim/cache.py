"""Content-addressed result store with atomic writes.

An entry is a dictionary of numpy arrays plus a JSON-serialisable ``meta`` dictionary,
saved as one ``.npz`` file named by the hash of the configuration that produced it.
Writes go to a temporary file in the same folder followed by ``os.replace``, so a killed
run never leaves a half-written entry under the final name. A file that cannot be read
back (truncated, corrupt zip, missing completion marker) is reported, removed and treated
as missing, so the caller recomputes it.

Several processes may write one store at once (two notebooks, a sweep's client and a second
sweep): a temporary file's name carries its writer's host and process id, and
:meth:`ResultCache.clear_temporaries` removes only those whose writer is gone (same host, process
no longer running) or that are older than :data:`STALE_AFTER_S`, never a file that another live
process is still writing.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import tempfile
import time
import warnings
import zipfile
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from netsim.runtime import data_dir

_META_KEY = "__meta__"
_COMPLETE_KEY = "__complete__"
STALE_AFTER_S = 6 * 3600.0
"""A temporary file older than this is stale whoever wrote it (a writer on another host, whose
process this host cannot check; one entry is written in seconds)."""
_WRITER = re.compile(r"\.w-(?P<host>[A-Za-z0-9-]*)-(?P<pid>\d+)\.")


class CorruptEntryWarning(UserWarning):
    """A cache entry could not be read and will be recomputed."""


def canonical_json(obj: Any) -> str:
    """Deterministic JSON (sorted keys, no whitespace) used for hashing configurations."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_json_default)


def _json_default(obj):
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, (tuple, set, frozenset)):
        return list(obj)
    raise TypeError(f"configuration value {obj!r} of type {type(obj).__name__} is not JSON-serialisable")


def config_hash(config: Mapping[str, Any], version: str = "") -> str:
    """SHA-256 (first 20 hex digits) of a configuration and a code version string."""
    if not isinstance(config, Mapping):
        raise TypeError(f"config must be a mapping, got {type(config).__name__}")
    payload = canonical_json({"config": config, "version": version})
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40]


def _writer_tag() -> str:
    return f"w-{_host()}-{os.getpid()}"


def _process_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def is_stale_temporary(path: str | os.PathLike, max_age_s: float = STALE_AFTER_S, now: float | None = None) -> bool:
    """Whether a ``.<name>.*.tmp`` file is left over by a writer that is gone.

    Stale: its writer ran on this host and is no longer running, or it is older than ``max_age_s``
    (also the only test for a file of another host or one without a writer tag).
    """
    path = Path(path)
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
    except FileNotFoundError:  # its writer just finished (renamed) or removed it
        return False
    if age > max_age_s:
        return True
    tag = _WRITER.search(path.name)
    return tag is not None and tag["host"] == _host() and not _process_running(int(tag["pid"]))


def atomic_write(target: str | os.PathLike, write: Callable[[Any], None]) -> Path:
    """Write ``target`` through ``write(binary_handle)`` into a temporary file, then ``os.replace``.

    A killed writer leaves at most a hidden ``.<name>.w-<host>-<pid>.*.tmp`` file, never a
    half-written target; the tag lets :meth:`ResultCache.clear_temporaries` tell a live writer's
    file from a dead one's.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.{_writer_tag()}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def default_cache_dir() -> Path:
    """``$NETSIM_CACHE`` if set, else ``<data>/cache``."""
    return Path(os.environ.get("NETSIM_CACHE", data_dir() / "cache"))


class ResultCache:
    """A folder of ``<namespace>/<key>.npz`` entries.

    Parameters
    ----------
    root : path, optional
        Folder of the store; defaults to :func:`default_cache_dir`.
    namespace : str
        Sub-folder separating kinds of results (e.g. ``"trajectories"``).
    """

    def __init__(self, root: str | os.PathLike | None = None, namespace: str = "results"):
        if not namespace or "/" in namespace or namespace.startswith("."):
            raise ValueError(f"namespace must be a plain folder name, got {namespace!r}")
        self.root = Path(root) if root is not None else default_cache_dir()
        self.folder = self.root / namespace

    def path(self, key: str) -> Path:
        if not key or not all(ch.isalnum() or ch in "-_" for ch in key):
            raise ValueError(f"key must be alphanumeric (with - or _), got {key!r}")
        return self.folder / f"{key}.npz"

    def __contains__(self, key: str) -> bool:
        return self.path(key).exists()

    def keys(self) -> list[str]:
        """Keys of the complete-looking entries (sorted)."""
        return sorted(p.stem for p in self.folder.glob("*.npz")) if self.folder.exists() else []

    def save(self, key: str, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any] | None = None) -> Path:
        """Write an entry atomically; returns its path."""
        bad = [name for name in arrays if name.startswith("__")]
        if bad:
            raise ValueError(f"array names starting with '__' are reserved, got {bad}")
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        payload = {name: np.asarray(value) for name, value in arrays.items()}
        payload[_META_KEY] = np.array(canonical_json(dict(meta or {})))
        payload[_COMPLETE_KEY] = np.array(True)  # written last: its presence marks completion
        atomic_write(target, lambda handle: np.savez(handle, **payload))
        return target

    def load(self, key: str) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
        """Read an entry; ``None`` if missing. A corrupt entry is reported, removed, and ``None``."""
        target = self.path(key)
        if not target.exists():
            return None
        try:
            with np.load(target, allow_pickle=False) as data:
                if _COMPLETE_KEY not in data.files or _META_KEY not in data.files:
                    raise ValueError("completion marker missing")
                arrays = {name: data[name] for name in data.files if not name.startswith("__")}
                meta = json.loads(str(data[_META_KEY]))
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
            warnings.warn(f"cache entry {target} is corrupt ({exc}); it will be recomputed",
                          CorruptEntryWarning, stacklevel=2)
            target.unlink(missing_ok=True)
            return None
        return arrays, meta

    def get_or_compute(self, key: str, compute: Callable[[], tuple[Mapping[str, np.ndarray], Mapping[str, Any]]]):
        """Return the stored entry for ``key``, computing and saving it first when absent."""
        entry = self.load(key)
        if entry is None:
            arrays, meta = compute()
            self.save(key, arrays, meta)
            entry = self.load(key)
        return entry

    def clear_temporaries(self, max_age_s: float = STALE_AFTER_S) -> int:
        """Remove the temporary files of writers that are gone (:func:`is_stale_temporary`); those of
        live writers, in this or another process, are left alone. Returns how many were removed."""
        if not self.folder.exists():
            return 0
        stale = [p for p in self.folder.glob(".*.tmp") if is_stale_temporary(p, max_age_s)]
        for path in stale:
            path.unlink(missing_ok=True)
        return len(stale)
