"""What every test package shares."""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests check every example they generate, however long generating takes: on a
# loaded machine (CI's two cores) Hypothesis's "too slow" health check and its deadline
# would fail them for the machine's speed, not for a property. Speed is for bench/.
settings.register_profile("advosearch", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("advosearch")


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs: a real full disk (needs root, as in CI)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
