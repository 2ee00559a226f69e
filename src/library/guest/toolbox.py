"""Trusted guest code that hosts library tools inside one sandboxed Python session.

The host builds the session's code as this module followed by one `_crucible_install(...)` line
holding every tool of the call (the tool and the transitive closure of the tools it calls), so a
session that restarts after a hang or crash loads them all again by itself.

Each tool gets its own module namespace, so two tools may define helpers with the same name.
Inside it, the tools it depends on are reachable as `tools.<name>(...)` and, unless the tool
defines that name itself, by their bare name: the dependency's entry function, bound to the exact
version (hash) recorded at admission. A tool that fails to load is remembered with its exception;
only calls to that tool (or to tools that depend on it) fail.
"""

import json as _json
import platform as _platform
import sys as _sys
import types as _types

_TOOLS = {}  # key (hash) -> entry function
_LOAD_ERRORS = {}  # key -> exception raised while loading


class _Tools:
    """The `tools` object a tool sees: its declared dependencies by name, nothing else."""

    def __init__(self, owner, entries):
        object.__setattr__(self, "_owner", owner)
        for name, fn in entries.items():
            object.__setattr__(self, name, fn)

    def __getattr__(self, name):
        raise AttributeError(
            "tool %r does not depend on a library tool named %r; declare it in the tool's dependencies" % (self._owner, name)
        )


def _load(tool):
    key = tool["key"]
    missing = [d for d in tool["deps"].values() if d not in _TOOLS]
    if missing:
        raise ImportError("tool %r: dependencies did not load: %s" % (tool["name"], ", ".join(missing)))
    entries = {name: _TOOLS[dep] for name, dep in tool["deps"].items()}
    module = _types.ModuleType("crucible_tool_" + tool["name"])
    ns = module.__dict__
    ns["tools"] = _Tools(tool["name"], entries)
    # Bare names only for names that are identifiers (tool names may hold "-" and ".").
    ns.update({name: fn for name, fn in entries.items() if name.isidentifier()})
    _sys.modules[module.__name__] = module
    exec(compile(tool["source"], "<tool %s>" % tool["name"], "exec"), ns)
    fn = ns.get(tool["entry"])
    if not callable(fn):
        raise NameError("tool %r defines no function named %r" % (tool["name"], tool["entry"]))
    _TOOLS[key] = fn


def _crucible_install(bundle_json):
    """Loads tools in the order given (dependencies first); failures are kept per tool."""
    for tool in _json.loads(bundle_json):
        if tool["key"] in _TOOLS:
            continue
        try:
            _load(tool)
        except (Exception, SystemExit) as e:  # a tool's load failure is data, not the session's
            _LOAD_ERRORS[tool["key"]] = e


def _crucible_loaded(key):
    """None when the tool loaded; otherwise its load exception, raised so the host sees it as data."""
    if key in _TOOLS:
        return None
    error = _LOAD_ERRORS.get(key)
    if error is None:
        raise KeyError("tool %r was not installed in this session" % (key,))
    raise error


def _crucible_call(key, args, kwargs=None):
    """Calls a tool's entry (arguments positional, in the order of its input schema's properties)."""
    fn = _TOOLS.get(key)
    if fn is None:
        _crucible_loaded(key)
    return fn(*args, **(kwargs or {}))


def _crucible_runtime():
    return {"python": _platform.python_version(), "implementation": _platform.python_implementation()}
