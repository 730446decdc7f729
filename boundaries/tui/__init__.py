"""The Textual TUI. Imported only when the TUI starts: subcommands never pay for Textual."""

import gc

from boundaries.tui.app import BoundariesApp, make_app

# Textual and our modules stay for the whole run: move what importing them made out of the
# collector's sight, so it does not walk it again and again while the first frame is built
# (≈45 ms a full pass; https://docs.python.org/3/library/gc.html#gc.freeze).
gc.freeze()

__all__ = ["BoundariesApp", "make_app"]
