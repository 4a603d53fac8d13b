"""A booth uses no personal profile unless the operator pinned one (issue 17 x issue 15)."""

import argparse
import dataclasses

import pytest

from app.config import AppConfig, BoothConfig
from app.ui.launch import profile_for

pytestmark = pytest.mark.faults


@pytest.mark.parametrize(
    ("cli", "booth", "pinned", "expected"),
    [
        (None, False, "", None),             # plain window, no profile
        ("alice", False, "", "alice"),       # --profile
        (None, False, "bob", None),          # a pin means nothing outside the booth
        (None, True, "", None),              # booth: nobody's profile by default
        (None, True, "bob", "bob"),          # booth: the operator's pin
        ("alice", True, "bob", "alice"),     # booth: the command line wins
    ],
)
def test_profile_for(cli, booth, pinned, expected):
    config = dataclasses.replace(AppConfig(), booth=BoothConfig(enabled=booth,
                                                                pinned_profile=pinned))
    assert profile_for(argparse.Namespace(profile=cli), config) == expected
