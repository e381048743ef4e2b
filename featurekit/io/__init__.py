"""Readers that turn files on disk into Panels."""

from featurekit.io.ts import read_ts

__all__ = ["read_ts"]
