"""The user's own sources (sources.md §6–§10): readers that turn outside data (address books,
calendars, call monitors, mail) into the core's values. May import core/, policy/, journal/;
never cli/ or tui/. `contacts` reads vCard exports (§7)."""
