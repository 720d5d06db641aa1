"""Progress reads as bytes, speed and time left; the speed follows the last seconds, and reports come
a few times a second rather than once per network read."""

from __future__ import annotations

from engine.download_progress import DownloadMeter, DownloadProgress, byte_text, duration_text


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_words_for_sizes_times_and_progress() -> None:
    assert byte_text(639_446_688) == "639 MB" and byte_text(5_027_783_488) == "5.03 GB"
    assert duration_text(29.4) == "29 s" and duration_text(185) == "3 min 5 s"
    assert duration_text(3 * 3600 + 120) == "3 h 2 min"
    progress = DownloadProgress(288_000_000, 639_446_688, 12_300_000)
    assert progress.describe() == "288 MB of 639 MB · 12.3 MB/s · 29 s left"
    assert round(progress.fraction or 0, 2) == 0.45
    assert DownloadProgress(5_000_000, None, 0.0).describe() == "5 MB"
    assert DownloadProgress(5_000_000, None, 0.0, "checking").describe().startswith("Checking the 5 MB")


def test_the_meter_measures_recent_speed_and_throttles_reports() -> None:
    clock, reports = Clock(), []
    meter = DownloadMeter(reports.append, 100_000_000, every_s=0.5, clock=clock)
    done = 40_000_000
    meter.start(done)  # a resumed part: its bytes are not counted as speed
    for _ in range(10):
        clock.now += 0.125  # exact in binary, so the 0.5 s steps are too
        done += 1_000_000
        meter.update(done)
    assert len(reports) == 3  # at the start, then every 0.5 s
    assert meter.speed() == 8_000_000  # 1 MB every 0.125 s
    clock.now += 10.0
    meter.update(60_000_000)
    clock.now += 1.0
    meter.update(62_000_000, force=True)
    assert 1.9e6 < reports[-1].bytes_per_s < 2.1e6  # the last seconds, not the whole history
    assert reports[-1].seconds_left is not None and 18 < reports[-1].seconds_left < 20
