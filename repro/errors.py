"""Errors that name the problem and the fix. The CLI prints their message without a traceback."""


class ReproError(Exception):
    """Base class: a user-facing error whose message says what is wrong and how to fix it."""


class ConfigError(ReproError, ValueError):
    """Unknown preset or parameter, or a value of the wrong type."""


class DatasetLayoutError(ReproError, FileNotFoundError):
    """A dataset root is missing or does not have the expected layout (the message shows it)."""


class MissingArtifactError(ReproError, FileNotFoundError):
    """An artifact another notebook or command makes is not in the cache (the message names it)."""


class CheckpointError(ReproError):
    """A checkpoint is corrupt, of an unknown format, or does not match the model."""
