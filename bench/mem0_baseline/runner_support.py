"""What both mem0 runner scripts need; imported by them as a sibling module (they run as scripts inside
.venv-mem0, where the `bench` package is not importable)."""

from __future__ import annotations

from importlib import metadata


def installed_versions(packages: tuple[str, ...]) -> dict[str, str | None]:
    """The installed version of each package, None when it is not installed."""
    versions: dict[str, str | None] = {}
    for package in packages:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions
