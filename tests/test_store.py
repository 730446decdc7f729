"""The compiled cache: fast starts that never miss an edit, and cheap reloads after one."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from boundaries.policy import cache as store
from boundaries.policy import files
from boundaries.policy import load as loader

TIER = """\
channels = ["call", "email"]
callback = "always"
[hours]
mon-fri = ["08:00-17:00"]
"""
CLIENTS = """\
[clients.acme]
name = "ACME GmbH"
tier = "standard"
phones = ["+43 1 234567", "+43 664 1234567"]

[clients.wald]
name = "Waldbau"
tier = "standard"
phones = ["0732 123456"]
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("BOUNDARIES_CACHE", str(folder))
    return folder


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every phone number the loader hands to phonenumbers."""
    calls: list[str] = []
    real = loader._classify

    def spy(raw: str, region: str | None):
        calls.append(raw)
        return real(raw, region)

    monkeypatch.setattr(loader, "_classify", spy)
    return calls


def _set(write_set, clients: str = CLIENTS) -> Path:
    return write_set({"tiers/standard.toml": TIER, "clients.toml": clients},
                     me='name = "M"\ntimezone = "Europe/Vienna"\nlocale = "de"\nregion = "AT"\n')


def test_an_unchanged_set_comes_from_the_cache(write_set, cache, counted):
    root = _set(write_set)
    first = store.load_cached(root)
    assert store.peek_cached(root) is not None
    again = store.load_cached(root)
    assert again.policies.phone_index == first.policies.phone_index
    assert len(counted) == 3  # classified once, by the first load only


def test_an_edit_is_never_missed(write_set, cache):
    root = _set(write_set)
    assert store.load_cached(root).policies.tiers["standard"].callback == "always"
    (root / "tiers/standard.toml").write_text(TIER.replace('"always"', '"never"'))
    assert store.peek_cached(root) is None
    assert store.load_cached(root).policies.tiers["standard"].callback == "never"


def test_after_an_edit_known_numbers_are_not_classified_again(write_set, cache, counted):
    root = _set(write_set)
    store.load_cached(root)
    counted.clear()
    edited = CLIENTS + '\n[clients.neu]\ntier = "standard"\nphones = ["+43 676 7654321"]\n'
    (root / "clients.toml").write_text(edited)
    result = store.load_cached(root)
    assert counted == ["+43 676 7654321"]
    assert result.policies.phone_types == {"+431234567": "fixed", "+436641234567": "mobile",
                                           "+43732123456": "fixed", "+436767654321": "mobile"}
    assert result.policies.phone_index["+43732123456"] == "wald"


def test_a_changed_region_classifies_again(write_set, cache, counted):
    root = _set(write_set)
    store.load_cached(root)
    counted.clear()
    (root / "me.toml").write_text('name = "M"\ntimezone = "Europe/Berlin"\nlocale = "de"\n'
                                  'region = "DE"\n')
    result = store.load_cached(root)
    assert sorted(counted) == sorted(["+43 1 234567", "+43 664 1234567", "0732 123456"])
    assert "+49732123456" in result.policies.phone_index  # 0732… is a German number now


def test_an_upgraded_phonenumbers_classifies_again(write_set, cache, counted, monkeypatch):
    root = _set(write_set)
    store.load_cached(root)
    counted.clear()
    (root / "tiers/standard.toml").write_text(TIER + "\n# edited\n")
    monkeypatch.setattr(store, "_libraries_stamp", lambda: "another version")
    store.load_cached(root)
    assert len(counted) == 3
    assert len(list(cache.iterdir())) == 1  # one entry per folder, replaced


def test_the_cache_keeps_one_compiled_set_per_folder(write_set, cache):
    root = _set(write_set)
    for n in range(3):
        (root / "tiers/standard.toml").write_text(TIER + f"\n# edit {n}\n")
        store.load_cached(root)
    files = sorted(p.name for p in cache.iterdir())
    assert len(files) == 1, files  # the compiled set and what its load asked, together
    for p in cache.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600


def test_an_unwritable_cache_only_costs_speed(write_set, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("BOUNDARIES_CACHE", str(blocker / "cache"))
    root = _set(write_set)
    assert store.load_cached(root).ok
    assert store.load_cached(root).ok


def test_after_a_tier_edit_holidays_are_not_asked_again(write_set, cache, monkeypatch):
    from datetime import date

    from boundaries.policy import holidays as holiday_source

    root = write_set({"tiers/standard.toml": TIER})  # me.toml: holidays = "AT-4"
    store.load_cached(root)
    asked: list[str] = []
    for name in ("compute", "check_region"):
        real = getattr(holiday_source, name)
        monkeypatch.setattr(holiday_source, name,
                            lambda *a, _real=real, _name=name: asked.append(_name) or _real(*a))
    (root / "tiers/standard.toml").write_text(TIER + "\n# edited\n")
    ps = store.load_cached(root).policies
    assert asked == []
    assert ps.holidays.name(date(date.today().year, 12, 25)) == "Christtag"
    (root / "me.toml").write_text((root / "me.toml").read_text().replace("AT-4", "AT-9"))
    assert store.load_cached(root).policies.holidays.region == "AT-9"
    assert "check_region" in asked and "compute" in asked


def test_a_load_seeded_by_the_last_one_equals_a_fresh_load(write_set, cache, monkeypatch):
    """Unchanged files come from the memo; every client, tier, diagnostic and position
    must be what a load from scratch gives."""
    broken_tier = TIER + 'on_holidays = "yes"\n'  # a diagnostic with a position
    root = write_set({"tiers/standard.toml": TIER, "tiers/night.toml": broken_tier,
                      "clients.toml": CLIENTS + '\n[clients.x]\ntier = "nope"\n'})
    store.load_cached(root)
    (root / "tiers/standard.toml").write_text(TIER + "\n# edited\n")
    parsed: list[str] = []
    real = loader.tomllib.loads
    monkeypatch.setattr(loader.tomllib, "loads", lambda t: parsed.append(t) or real(t))
    seeded = store.load_cached(root)
    assert len(parsed) == 1  # only the edited file
    fresh = loader.load(root)
    assert seeded.diagnostics == fresh.diagnostics
    assert seeded.errors  # the set is broken on purpose: diagnostics with positions
    assert seeded.policies.clients == fresh.policies.clients
    assert seeded.policies.tiers == fresh.policies.tiers


def test_kept_clients_follow_a_new_tier_file(write_set, cache):
    """clients.toml unchanged, but a tier it names now exists: its error must go."""
    clients = CLIENTS + '\n[clients.new]\nname = "New"\ntier = "gold"\n'
    root = _set(write_set, clients)
    first = store.load_cached(root)
    assert [d.message for d in first.errors] == [
        "client `new` names tier `gold`, but there is no tiers/gold.toml"]
    (root / "tiers/standard.toml").write_text(TIER + "\n# edited\n")
    assert store.load_cached(root).diagnostics == first.diagnostics  # kept, with the error
    (root / "tiers/gold.toml").write_text(TIER)
    again = store.load_cached(root)
    assert again.ok and again.policies.clients["new"].tier == "gold"


def test_an_unreadable_clients_file_is_reported(write_set, cache, monkeypatch):
    root = _set(write_set)
    real = files.read_policy_file

    def denied(path: Path, *args) -> bytes:
        if path.name == "clients.toml":
            raise PermissionError(13, "Permission denied")
        return real(path, *args)

    monkeypatch.setattr(loader, "read_policy_file", denied)
    monkeypatch.setattr(files, "read_policy_file", denied)
    result = store.load_cached(root)
    assert [(d.path, d.message) for d in result.errors] == [
        ("clients.toml", "cannot read file: Permission denied")]
