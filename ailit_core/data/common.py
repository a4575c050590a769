"""What every dataset module shares: the profile argument, the missing-data error, a network probe.

torchvision's downloaders call ``urlopen`` without a timeout, so on a machine whose firewall drops
packets a download can hang for minutes before failing; a short connection probe first turns that
into an immediate, explained error.
"""

from __future__ import annotations

import socket

from ailit_core import profiles
from ailit_core.profiles import Profile

PROBE_TIMEOUT_S = 5.0


class DatasetUnavailable(RuntimeError):
    """The real dataset is not in the data folder and cannot be downloaded from here."""


def resolve_profile(profile: Profile | str | None) -> Profile:
    """``None`` -> the current profile (``AILIT_PROFILE``); a name -> that profile, validated."""
    if profile is None:
        return profiles.current()
    if isinstance(profile, Profile):
        return profile
    name = str(profile).strip().lower()
    if name not in profiles.NAMES:
        raise ValueError(f"{profile!r} is not a profile; use one of: {', '.join(profiles.NAMES)}")
    return Profile(name)


def can_reach(host: str, port: int = 443, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """True when a TCP connection to ``host:port`` opens within ``timeout`` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False
