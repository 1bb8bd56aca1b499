"""The checked-in data files (platform SLAs, sharing communities) load, and a bad one is
refused with the file and the entry named; an instance can name its own."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchfloor import datafiles
from watchfloor.listings.platforms import PlatformsFile, platform_sla
from watchfloor.settings import get_settings
from watchfloor.sharing import communities
from watchfloor.sharing.communities import CommunitiesFile


@pytest.mark.parametrize(
    ("model", "text", "named"),
    [
        (
            PlatformsFile,
            "[defaults]\nurgent_hours = 24\n",
            "defaults.standard_hours: Field required",
        ),
        (
            PlatformsFile,
            "[defaults]\nurgent_hours = 24\nstandard_hours = 168\n"
            "[platforms.X]\nurgent_hours = -1\n",
            "platforms.X.urgent_hours: Input should be greater than 0",
        ),
        (CommunitiesFile, "[communities.ok]\nname = 'n'\nmembers = ['US-CBP']\n", "upper-case"),
        (
            CommunitiesFile,
            "[communities.A1]\nname = 'n'\nmembers = ['us cbp']\n",
            "not agency codes",
        ),
        (CommunitiesFile, "[communities\n", "Expected"),
    ],
)
def test_a_bad_file_is_refused_naming_the_entry(
    tmp_path: Path, model, text: str, named: str
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(datafiles.ConfigProblem, match=named) as err:
        datafiles.load(path, model)
    assert str(path) in str(err.value)


def test_an_instance_names_its_own_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "communities.toml"
    mine.write_text("[communities.EU-POST]\nname = 'EU postal group'\nmembers = ['NL-FIOD']\n")
    slas = tmp_path / "platforms.toml"
    slas.write_text("[defaults]\nurgent_hours = 6\nstandard_hours = 36\n")
    monkeypatch.setenv("WATCHFLOOR_COMMUNITIES_FILE", str(mine))
    monkeypatch.setenv("WATCHFLOOR_PLATFORMS_FILE", str(slas))
    get_settings.cache_clear()
    try:
        assert communities.of("NL-FIOD") == ("EU-POST",)
        assert communities.of("US-CBP") == ()
        assert platform_sla("PLATFORM-EXAMPLE").hours("urgent") == 6  # not in this file
    finally:
        monkeypatch.delenv("WATCHFLOOR_COMMUNITIES_FILE")
        monkeypatch.delenv("WATCHFLOOR_PLATFORMS_FILE")
        get_settings.cache_clear()
    assert "NA-PRECURSORS" in communities.of("US-CBP")  # the shipped file again
    assert platform_sla("PLATFORM-EXAMPLE").hours("urgent") == 12
