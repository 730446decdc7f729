"""What `replay` prints: the summary of one set, and the changes between two."""

from __future__ import annotations

from typing import NamedTuple

from boundaries.core.vocabulary import DECISIONS
from boundaries.replay.run import SetRun, Totals

_BAR = 20


def _share(n: int, total: int) -> str:
    return f"{n / total:6.1%}" if total else "     –"


def summary(run: SetRun, totals: Totals, source: str, history: str) -> str:
    """Counts per decision and per tier, after-hours share, extra effort, callbacks refused."""
    n = run.decided
    out = [f"Replayed {source}: {n:,} request{'s' if n != 1 else ''} decided with "
           f"{run.label}"]
    if totals.bad:
        out.append(f"  {totals.bad:,} bad row{'s' if totals.bad != 1 else ''} skipped "
                   "(listed on stderr)")
    out.append("")
    counts = run.decisions()
    for decision in DECISIONS:
        k = counts.get(decision, 0)
        bar = "█" * round(_BAR * k / n) if n else ""
        out.append(f"  {decision:<8} {k:>11,}  {_share(k, n)}  {bar}")
    out.append("")
    tiers = sorted({tier for tier, _ in run.by_tier})
    if tiers:
        wide = max(12, *(len(t) for t in tiers))
        out.append(f"  {'tier':<{wide}} {'answer':>10} {'later':>10} {'decline':>10} "
                   f"{'total':>10}")
        for tier in tiers:
            cells = [run.by_tier.get((tier, d), 0) for d in DECISIONS]
            out.append(f"  {tier:<{wide}} " + " ".join(f"{c:>10,}" for c in cells)
                       + f" {sum(cells):>10,}")
        out.append("")
    out += [
        f"  outside hours     {_share(run.outside, n).strip():>7}  ({run.outside:,} requests "
        "outside their tier's hours)",
        f"  extra effort      {run.effort:>7,}  answers outside hours granted",
        f"  callbacks refused {run.never:>7,}  requests whose callback is `never`",
        f"  in writing        {run.writing:>7,}  requests to confirm in writing",
        f"  bad rows          {totals.bad:>7,}",
        f"  history           {history}",
    ]
    return "\n".join(out)


class Example(NamedTuple):
    where: str
    sender: str
    channel: str
    when: str


class Group:
    """Changed rows that share old → new decision and both deciding reasons."""

    __slots__ = ("count", "examples", "new_text", "old_text")

    def __init__(self, old_text: str, new_text: str) -> None:
        self.count = 0
        self.examples: list[Example] = []
        self.old_text = old_text
        self.new_text = new_text


def changes(old: SetRun, new: SetRun, totals: Totals, source: str,
            groups: dict[tuple[str, str, str, str], Group], shown: int, history: str) -> str:
    """Both sets' counts side by side, then every group of changes with its first rows."""
    n = old.decided
    out = [f"Replayed {source}: {n:,} request{'s' if n != 1 else ''}",
           f"  old: {old.label}", f"  new: {new.label}"]
    if totals.bad:
        out.append(f"  {totals.bad:,} bad row{'s' if totals.bad != 1 else ''} skipped "
                   "(listed on stderr)")
    out += ["", f"  {'decision':<9} {'old':>11} {'new':>11} {'change':>9}"]
    a, b = old.decisions(), new.decisions()
    for decision in DECISIONS:
        x, y = a.get(decision, 0), b.get(decision, 0)
        change = f"{y - x:+,}" if y != x else "0"
        out.append(f"  {decision:<9} {x:>11,} {y:>11,} {change:>9}")
    rows = (("outside hours", old.outside, new.outside),
            ("extra effort", old.effort, new.effort),
            ("callback never", old.never, new.never),
            ("in writing", old.writing, new.writing))
    out.append("")
    for name, x, y in rows:
        out.append(f"  {name:<15} {x:>5,} → {y:,}")
    out.append(f"  history         {history}")
    changed = sum(g.count for g in groups.values())
    out.append("")
    if not changed:
        out.append("No request would be decided differently.")
        return "\n".join(out)
    out.append(f"{changed:,} request{'s' if changed != 1 else ''} ({changed / n:.1%}) would "
               "be decided differently:")
    ordered = sorted(groups.items(), key=lambda kv: (-kv[1].count, kv[0]))
    for (was, now, old_src, new_src), g in ordered:
        out += ["", f"{was} → {now}  ·  {g.count:,} request{'s' if g.count != 1 else ''}",
                f"    was  {old_src}  {g.old_text}",
                f"    now  {new_src}  {g.new_text}"]
        wide = max(len(e.where) for e in g.examples)
        who = max(len(e.sender) for e in g.examples)
        for e in g.examples:
            out.append(f"    {e.where:<{wide}}  {e.sender:<{who}}  {e.channel:<5}  {e.when}")
        if g.count > len(g.examples):
            out.append(f"    … {g.count - len(g.examples):,} more")
    if any(g.count > shown for g in groups.values()):
        out += ["", "(--format csv or --format json lists every changed row)"]
    return "\n".join(out)
