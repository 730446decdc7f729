"""me.toml's mail keys: `addresses`, `[mail]` (sendmail, kinds), `[tone]`, and the
`[sources]` folders of mail — read into the model, and each mistake at its position."""

from __future__ import annotations

from pathlib import Path

from boundaries.policy.phone_sources import sources_in

from .conftest import EXAMPLE, ME

TIER = {"tiers/unknown.toml": '[hours]\nmon = "08:00-17:00"\n'}


def _diags(result) -> list[str]:
    return [f"{d.path}:{d.line}:{d.col}: {d.severity}: {d.message}" for d in result.diagnostics]


def test_the_keys_fill_the_model_in_file_order(load_set) -> None:
    me = ME + """addresses = ["martin@huber-it.example", " office@huber-it.example "]
[mail]
sendmail = "msmtp -t"
[mail.kinds]
complaint = ["Beschwerde", "complaint"]
billing = ["Rechnung"]
[tone]
avoid = ["leider nein"]
allow = ["ASAP", "DSGVO"]
"""
    result = load_set(TIER, me=me)
    assert result.ok, _diags(result)
    m = result.policies.me
    assert m.addresses == ("martin@huber-it.example", "office@huber-it.example")
    assert m.sendmail == "msmtp -t"
    assert m.mail_kinds == (("complaint", ("Beschwerde", "complaint")), ("billing", ("Rechnung",)))
    assert m.tone_avoid == ("leider nein",) and m.tone_allow == ("ASAP", "DSGVO")


def test_without_them_nothing_changes(load_set) -> None:
    m = load_set(TIER).policies.me
    assert (m.addresses, m.sendmail, m.mail_kinds, m.tone_avoid, m.tone_allow) == (
        (), None, (), (), ())


def test_each_mistake_is_named_at_its_value_all_at_once(load_set) -> None:
    me = ME + """addresses = ["martin huber", "martin@huber-it.example"]
[mail]
sendmail = " "
sendmial = "msmtp"
[mail.kinds]
invoice = ["Rechnung"]
billing = "Rechnung"
"""
    result = load_set(TIER, me=me)
    got = _diags(result)
    assert "me.toml:6:14: error: `martin huber` is not a mail address" in got
    assert "me.toml:8:12: error: `sendmail` in [mail] is empty" in got
    assert any(d.startswith("me.toml:9:1: error: unknown key `sendmial` in [mail]") for d in got)
    assert any(d.startswith("me.toml:11:") and "`invoice` is not allowed" in d for d in got)
    assert any(d.startswith("me.toml:12:11: error: `billing` must be an array of strings")
               for d in got)
    assert result.policies.me.addresses == ("martin@huber-it.example",)


def test_sources_name_the_mail_folders_relative_to_the_policy_folder(write_set) -> None:
    root = write_set({**TIER}, me=ME + '[sources]\nmaildir = "Mail/INBOX"\ndrafts = "~/Drafts"\n')
    found = sources_in(root)
    assert found.maildir == str(root / "Mail" / "INBOX")
    assert found.drafts == str(Path("~/Drafts").expanduser())
    assert not found.given  # mail folders are no phone source


def test_the_example_set_knows_my_address_and_its_kinds() -> None:
    from boundaries.policy.load import load

    m = load(EXAMPLE).policies.me
    assert m.addresses == ("martin@huber-it.example",)
    assert dict(m.mail_kinds)["billing"][0] == "Rechnung"
