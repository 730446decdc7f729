"""The Textual TUI. Imported only when the TUI starts: subcommands never pay for Textual."""

from .app import BoundariesApp, make_app

__all__ = ["BoundariesApp", "make_app"]
