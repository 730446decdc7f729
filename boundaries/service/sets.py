"""Opening a policy set: which folder, loaded (from the compiled cache when its files are
unchanged) with its calendars attached, and the errors a front end tells the user."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from boundaries.core.errors import BoundariesError, RequestError
from boundaries.policy.discovery import Found, discover
from boundaries.policy.result import LoadResult

if TYPE_CHECKING:
    from boundaries.core.diagnostics import Diagnostic
    from boundaries.core.model import PolicySet


# -- errors ----------------------------------------------------------------------------------
class PolicyFolderMissing(RequestError):
    """The policy folder chosen (named or discovered) is not a folder."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"policy folder `{path}` does not exist",
                         "pass --policies DIR with a folder that holds me.toml, or run "
                         "`boundaries init DIR`")
        self.path = path


class BadPolicySet(BoundariesError):
    """A set with errors, where a good one is needed: `diagnostics` are every problem found
    (errors and warnings, in file order)."""

    def __init__(self, what: str, diagnostics: tuple[Diagnostic, ...]) -> None:
        n = sum(d.is_error for d in diagnostics)
        super().__init__(f"{what} has {n} error{'s' if n != 1 else ''}; nothing decided")
        self.diagnostics = diagnostics



# -- opening a set ---------------------------------------------------------------------------
class Opened(NamedTuple):
    """A policy set as found and loaded (its `result` may hold errors)."""

    found: Found
    result: LoadResult

    @property
    def fell_back(self) -> bool:
        """Whether the shipped example set is used because no other set was found (not
        because it was named)."""
        return self.found.fell_back


def find_set(policies: str | os.PathLike | None = None) -> Found:
    """Which folder to use: `policies` if given, else the discovery order."""
    return discover(policies)


def load_set(path: Path, origin: str = "") -> LoadResult:
    """The set in `path` with its diagnostics, from the compiled cache when its files are
    unchanged, with its calendars attached (`with_calendars`)."""
    from boundaries.policy.cache import load_cached

    return with_calendars(load_cached(path, origin))


def peek_set(found: Found) -> LoadResult | None:
    """The set from the compiled cache if it holds the files as they are now, else None
    (fast: nothing is parsed)."""
    from boundaries.policy.cache import peek_cached

    result = peek_cached(found.path, found.origin)
    return None if result is None else with_calendars(result)


def with_calendars(result: LoadResult) -> LoadResult:
    """The set with me.toml's calendars opened for the engine (their files are read only
    where a request looks, and kept in the cache). A calendar that cannot be read is in
    `ps.calendar.problems`, not in the diagnostics: the set still decides, without it."""
    ps = result.policies
    if ps is None or not ps.me.calendars:
        return result
    from boundaries.sources.my_calendars import open_calendars

    return LoadResult(ps._replace(calendar=open_calendars(ps, calendar_cache())),
                      result.diagnostics)


def calendar_cache() -> Path | None:
    """Where expanded calendars are kept (None: caching is off)."""
    from boundaries.policy.cache import cache_dir

    folder = cache_dir()
    return None if folder is None else folder / "calendars"


def open_set(policies: str | os.PathLike | None = None) -> Opened:
    """Find the set and load it; a folder that is not there is `PolicyFolderMissing`."""
    found = find_set(policies)
    if not found.path.is_dir():  # before loading: nothing to read
        raise PolicyFolderMissing(found.path)
    return Opened(found, load_set(found.path, found.origin))


def good_policies(result: LoadResult, what: str = "the policy set") -> PolicySet:
    """The loaded set, or `BadPolicySet` if it has errors (warnings do not count)."""
    if result.ok and result.policies is not None:
        return result.policies
    raise BadPolicySet(what, result.diagnostics)



__all__ = ["BadPolicySet", "Opened", "PolicyFolderMissing", "calendar_cache", "find_set",
           "good_policies", "load_set", "open_set", "peek_set", "with_calendars"]
