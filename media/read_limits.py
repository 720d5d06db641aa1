"""The reading limits a person can raise: kept in the database's settings, so `longwit docs add`, the
window and every other way in read files under the same limits.

The defaults (media/read_document.ReadLimits) keep a hostile or mistaken file from taking the
machine's memory or an afternoon; someone who really has a 2 GB PDF raises the limit with
`longwit docs limits --max-file-mb 2048` and the refusal message says so.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from media.read_document import DEFAULT_LIMITS, ReadLimits
from storage.settings import SettingsStore


@dataclass(frozen=True)
class LimitSetting:
    key: str  # in the settings table
    field: str  # of ReadLimits
    unit: float  # how many of the field's units one of the setting's is
    label: str

    def shown(self, limits: ReadLimits) -> float:
        return getattr(limits, self.field) / self.unit


LIMIT_SETTINGS = (
    LimitSetting("read.max_file_mb", "max_file_bytes", 2**20, "largest file (MB)"),
    LimitSetting("read.max_text_file_mb", "max_text_file_bytes", 2**20,
                 "largest text, Markdown or HTML file (MB)"),
    LimitSetting("read.max_unpacked_mb", "max_unpacked_bytes", 2**20,
                 "most a DOCX or EPUB may unpack to (MB)"),
    LimitSetting("read.max_audio_minutes", "max_audio_seconds", 60, "longest recording (minutes)"),
    LimitSetting("read.max_image_megapixels", "max_image_pixels", 10**6,
                 "largest image or scanned page (megapixels)"),
)
INTEGER_FIELDS = {f.name for f in fields(ReadLimits) if f.type in ("int", int)}


def stored_limits(settings: SettingsStore) -> ReadLimits:
    """The defaults, with what the person set in place of them (a value that no longer parses is
    ignored rather than trusted)."""
    limits = DEFAULT_LIMITS
    for setting in LIMIT_SETTINGS:
        text = settings.get(setting.key)
        try:
            value = float(text) if text is not None else None
        except ValueError:
            value = None
        if value is not None and value > 0:
            amount = value * setting.unit
            limits = replace(limits, **{setting.field: int(amount) if setting.field in INTEGER_FIELDS
                                        else amount})
    return limits


def set_limit(settings: SettingsStore, key: str, value: float | None) -> None:
    """Set one limit (in the setting's unit), or put it back to its default with None."""
    if value is not None and not value > 0:
        raise ValueError(f"{key} must be more than 0")
    if value is None:
        settings.clear(key)
        return
    settings.set(key, f"{value:g}")
