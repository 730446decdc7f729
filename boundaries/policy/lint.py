"""The semantic checks of a built policy set, apart from loading: rules that can never apply
or never answer, rules shadowed by one above, reply templates that no replies file has, an
`unknown_tier` without its tier file. They run on the model (`PolicySet`), with the
positions of the files it was read from; every finding is a warning."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from boundaries.core.diagnostics import Diagnostic, suggest
from boundaries.core.model import (
    Check,
    ExtraEffort,
    Me,
    PolicySet,
    Rule,
    Template,
    Tier,
)
from boundaries.core.replies import FALLBACK_KEYS
from boundaries.core.vocabulary import ENGINE_REPLY_KEYS, URGENCY_RANK
from boundaries.policy.tomlpos import Locator
from boundaries.policy.tone_lint import tone_warnings
from boundaries.policy.validate import FileCheck


def lint(ps: PolicySet, where: Mapping[str, Locator],
         tier_files: Collection[str]) -> list[Diagnostic]:
    """The warnings about `ps`. `where`: the positions of each file it was read from, by
    its path in the folder; `tier_files`: the names of every file in tiers/, read or not."""
    out: list[Diagnostic] = []
    files = {rel: FileCheck(rel, loc.text, out, loc) for rel, loc in where.items()}
    for tier in ps.tiers.values():
        fc = files.get(tier.path)
        if fc is not None:
            for rule in tier.rules:
                _never_applies(fc, rule, tier.extra_effort)
            _shadowed_rules(fc, tier.rules)
    _reply_keys(files, ps.tiers, ps.replies, ps.checks)
    _unknown_tier(files, ps.me, ps.tiers, tier_files)
    out += tone_warnings(ps, where)
    return out


def _never_applies(fc: FileCheck, rule: Rule, extra: ExtraEffort) -> None:
    when = dict(rule.when)
    path = ("rules", rule.index)
    if rule.decide == "answer" and rule.reply:
        fc.report((*path, "reply"), f"rule {rule.index + 1} answers, and an answer carries "
                  "no reply: this `reply` is never sent",
                  "drop `reply`, or use it on a rule that decides `later` or `decline`",
                  severity="warning")
    if when.get("hours") == "in" and when.get("away") is True:
        fc.report(path, f"rule {rule.index + 1} can never apply: I am never within hours "
                  "while away", "drop `hours` or `away` from `when`", severity="warning")
    if rule.decide != "answer" or when.get("hours") != "out":
        return
    why = None
    if not extra.allowed:
        why = "extra effort is not allowed for this tier"
    elif when.get("trust") == "revoked":
        why = "extra effort is never granted to a client whose trust is revoked"
    else:
        urg = when.get("urgency")
        urgs = urg if isinstance(urg, list) else [urg] if urg else list(URGENCY_RANK)
        if all(URGENCY_RANK[u] < URGENCY_RANK[extra.min_urgency] for u in urgs):
            why = f"extra effort needs urgency `{extra.min_urgency}` or more"
    if why:
        hint = {
            "extra effort is not allowed for this tier":
                "set `[extra_effort] allowed = true`, or `decide = \"later\"`",
            "extra effort is never granted to a client whose trust is revoked":
                "drop `trust = \"revoked\"` from `when`, or `decide = \"later\"`",
        }.get(why, "lower `[extra_effort] min_urgency`, or `decide = \"later\"`")
        fc.report(path, f"rule {rule.index + 1} can never answer: {why}, so outside hours "
                  "it always becomes `later`", hint, severity="warning")


def _shadowed_rules(fc: FileCheck, rules: tuple[Rule, ...]) -> None:
    """Every rule after the first one without `when` (the rules of a tier as built: a rule
    that could not be built is not there, and shadows nothing)."""
    for r in rules:
        if not r.when:
            for later in rules:
                if later.index > r.index:
                    fc.report(("rules", later.index),
                              f"rule {later.index + 1} can never apply: rule {r.index + 1} "
                              "above has no `when` and matches every request",
                              "move it above, or add conditions to the earlier rule",
                              severity="warning")
            return


def _reply_keys(files: Mapping[str, FileCheck], tiers: Mapping[str, Tier],
                replies: Mapping[str, Mapping[str, Template]],
                checks: tuple[Check, ...]) -> None:
    known = {k for table in replies.values() for k in table}
    for tier in tiers.values():
        fc = files.get(tier.path)
        for rule in tier.rules:
            if rule.reply and rule.reply not in known and fc:
                fc.report(("rules", rule.index, "reply"),
                          f"no replies file has a template `{rule.reply}`: this rule's "
                          "decision will carry no reply",
                          suggest(rule.reply, known) or "add it to replies/<locale>.toml",
                          at_value=True, severity="warning")
    if replies:
        for key in ENGINE_REPLY_KEYS:
            if key not in known and FALLBACK_KEYS.get(key) not in known:
                first = sorted(replies)[0]
                fc = files.get(f"replies/{first}.toml")
                if fc:
                    fc.report((), f"no replies file has a template `{key}`: such decisions "
                              "carry no reply", f"add `{key} = \"…\"`", severity="warning")
    fc = files.get("checks.toml")
    for i, check in enumerate(checks):
        key = check.fields.get("reply_key")
        if key and key not in known and fc:
            fc.report(("check", i, "reply_key"), f"no replies file has a template `{key}`",
                      suggest(key, known), at_value=True, severity="warning")


def _unknown_tier(files: Mapping[str, FileCheck], me: Me, tiers: Mapping[str, Tier],
                  tier_files: Collection[str]) -> None:
    if me.unknown_tier not in tier_files and "unknown_tier" in me.sources:
        fc = files.get("me.toml")
        if fc:
            fc.report(("unknown_tier",), f"there is no tiers/{me.unknown_tier}.toml: unknown "
                      "senders get `later`, callback on request",
                      suggest(me.unknown_tier, tiers), at_value=True, severity="warning")
