"""The outcome of loading a policy folder (kept light: unpickled on every cached start)."""

from __future__ import annotations

from typing import NamedTuple

from boundaries.core.diagnostics import Diagnostic
from boundaries.core.model import PolicySet


class LoadResult(NamedTuple):
    """A policy set (None if it could not be built at all) and every diagnostic."""

    policies: PolicySet | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def ok(self) -> bool:
        return self.policies is not None and not self.errors
