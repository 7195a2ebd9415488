"""Shared fixtures. Data under ``../shared/`` (beside the repository) exists on developer machines and in
CI only: tests that read it use the ``shared_dir`` fixture and skip cleanly where it is absent."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/ is not present on this machine")
    return SHARED


@pytest.fixture(scope="session")
def benchmark_course(shared_dir):
    """Path of a public benchmark course folder (course-a or course-b) under ../shared/benchmark."""

    def get(name: str) -> Path:
        path = shared_dir / "benchmark" / name
        if not path.is_dir():
            pytest.skip(f"benchmark course {name} is not present")
        return path

    return get
