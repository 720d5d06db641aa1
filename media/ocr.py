"""Text in images (OCR): an image in, its lines of text out in reading order.

RapidOCR runs PaddleOCR's PP-OCRv6 small detector and recogniser (multilingual) on onnxruntime, the
runtime Piper already brings. Both models ship inside the `rapidocr` wheel; they are named by path
here so that RapidOCR never reaches the downloader it keeps for other models. The engine is made once
per process on first use, and calls are serialised: RapidOCR keeps per-call settings on itself, and
onnxruntime already spreads one image over every core.
"""

from __future__ import annotations

import importlib.util
import statistics
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

DETECTOR = "PP-OCRv6_det_small.onnx"
RECOGNISER = "PP-OCRv6_rec_small.onnx"


class OcrEngineError(RuntimeError):
    """The OCR engine could not be loaded: the package or its models are missing."""


@dataclass(frozen=True)
class OcrOptions:
    # A larger image is scaled down to this many pixels on its longer side before detection. On two
    # busy cores a sparse A4 page took 3-6 s at 2000 and 1.4-2.5x that at 2500, and 6-point text
    # (25 px at 300 dpi) still came out word for word at 2000.
    max_side: int = 2000
    min_score: float = 0.5  # a recognised line less certain than this is dropped (RapidOCR's default)


DEFAULT_OCR = OcrOptions()


@dataclass(frozen=True)
class TextBox:
    """One recognised run of text and the rectangle around it, in the pixels the engine saw."""

    text: str
    left: float
    top: float
    right: float
    bottom: float


_LOCK = threading.Lock()
_ENGINES: dict[OcrOptions, Any] = {}


def model_paths() -> tuple[Path, Path]:
    """The detector and recogniser inside the installed rapidocr package."""
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or spec.origin is None:
        raise OcrEngineError("the rapidocr package is not installed")
    folder = Path(spec.origin).parent / "models"
    paths = (folder / DETECTOR, folder / RECOGNISER)
    missing = [path.name for path in paths if not path.is_file()]
    if missing:
        raise OcrEngineError(f"the OCR model {', '.join(missing)} is missing from {folder}")
    return paths


def _engine(options: OcrOptions) -> Any:
    """The engine for these options, made on first use; the caller holds _LOCK."""
    engine = _ENGINES.get(options)
    if engine is not None:
        return engine
    detector, recogniser = model_paths()
    try:
        from rapidocr import RapidOCR
    except ImportError as error:
        raise OcrEngineError(f"rapidocr cannot be imported: {error}") from error
    engine = RapidOCR(
        params={
            # The 180-degree line classifier turned one upright line of a clean test page upside
            # down (and into nonsense); document pages come upright, and it costs time.
            "Global.use_cls": False,
            "Global.log_level": "error",  # it warns on stderr for every page without text
            "Global.max_side_len": options.max_side,
            "Global.text_score": options.min_score,
            "Det.model_path": str(detector),
            "Rec.model_path": str(recogniser),
        }
    )
    _ENGINES[options] = engine
    return engine


def load_engine(options: OcrOptions = DEFAULT_OCR) -> None:
    """Make the engine now rather than at the first image (its models load at the first text)."""
    with _LOCK:
        _engine(options)


def _grey_or_rgb(image: Image.Image) -> Image.Image:
    """8-bit grey or RGB: transparency laid on white, 16-bit and float scans scaled, CMYK converted."""
    if image.mode in ("L", "RGB"):
        return image
    if image.mode == "1":
        return image.convert("L")
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        pixels = np.asarray(image, dtype=np.float64)
        low, high = float(pixels.min()), float(pixels.max())
        scaled = (pixels - low) * (255.0 / (high - low)) if high > low else np.full_like(pixels, 255.0)
        return Image.fromarray(scaled.astype(np.uint8), "L")
    if image.mode in ("LA", "La", "PA", "RGBA", "RGBa") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        page = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(page, rgba).convert("RGB")
    return image.convert("RGB")


def _fitted(image: Image.Image, max_side: int) -> Image.Image:
    """Scaled down to max_side with an antialiasing filter: the engine's own resize is linear, which
    drops thin strokes when it shrinks a large scan a lot."""
    longest = max(image.size)
    if longest <= max_side:
        return image
    scale = max_side / longest
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _pixels(image: Image.Image | np.ndarray, max_side: int) -> np.ndarray:
    """The image as RapidOCR reads an array: 2-D grey, or height x width x 3 in BGR order."""
    if isinstance(image, np.ndarray):
        image = Image.fromarray(np.squeeze(image) if image.ndim == 3 and image.shape[2] == 1 else image)
    image = _fitted(_grey_or_rgb(image), max_side)
    pixels = np.asarray(image)
    return pixels if pixels.ndim == 2 else np.ascontiguousarray(pixels[:, :, ::-1])


def recognise(image: Image.Image | np.ndarray, options: OcrOptions = DEFAULT_OCR) -> list[TextBox]:
    """The runs of text found in the image, in no particular order, with their rectangles in the
    pixels the engine saw. A numpy array is grey (2-D) or RGB(A) in 8 bits, as Pillow makes it."""
    pixels = _pixels(image, options.max_side)
    with _LOCK:
        result = _engine(options)(pixels)
    if result.boxes is None or result.txts is None:
        return []
    boxes = []
    for corners, text in zip(result.boxes, result.txts, strict=True):
        if text.strip():
            xs, ys = np.asarray(corners)[:, 0], np.asarray(corners)[:, 1]
            boxes.append(TextBox(text.strip(), float(xs.min()), float(ys.min()), float(xs.max()),
                                 float(ys.max())))
    return boxes


def image_lines(image: Image.Image | np.ndarray, options: OcrOptions = DEFAULT_OCR) -> list[str]:
    """The text in the image as lines in reading order (empty when there is none)."""
    return reading_order(recognise(image, options))


def _gaps(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The stretches between start and end of `spans` that none of them covers."""
    gaps, reach = [], None
    for start, end in sorted(spans):
        if reach is not None and start > reach:
            gaps.append((reach, start))
        reach = end if reach is None else max(reach, end)
    return gaps


def _widest_cut(boxes: list[TextBox], line_height: float) -> tuple[str, float] | None:
    """Where to cut a block in two: the widest empty band across it, between rows ("y") or between
    columns ("x"). A gap between columns narrower than a line is a space inside a line, not a gutter."""
    cuts = [(end - start, "y", (start + end) / 2) for start, end in _gaps([(b.top, b.bottom) for b in boxes])]
    cuts += [
        (end - start, "x", (start + end) / 2)
        for start, end in _gaps([(b.left, b.right) for b in boxes])
        if end - start >= line_height
    ]
    if not cuts:
        return None
    _, axis, at = max(cuts)
    return axis, at


def _rows(boxes: list[TextBox]) -> list[str]:
    """Boxes with no band between them, as rows: a box whose middle falls inside the current row
    joins it (slightly skewed lines overlap), each row read left to right."""
    rows: list[list[TextBox]] = []
    for box in sorted(boxes, key=lambda b: (b.top, b.left)):
        middle = (box.top + box.bottom) / 2
        if rows and rows[-1][0].top <= middle <= rows[-1][0].bottom:
            rows[-1].append(box)
        else:
            rows.append([box])
    return [" ".join(box.text for box in sorted(row, key=lambda b: b.left)) for row in rows]


def reading_order(boxes: list[TextBox]) -> list[str]:
    """Lines in the order a person reads them: cut the page at its widest empty band again and again
    (XY-cut), top before bottom and left column before right, so that the lines of two columns are
    not interleaved; a title across both columns still comes first. A table is read column by column."""
    if not boxes:
        return []
    line_height = statistics.median(box.bottom - box.top for box in boxes)
    lines: list[str] = []
    pending = [boxes]
    while pending:  # a stack rather than recursion: a page may have hundreds of rows
        block = pending.pop()
        cut = _widest_cut(block, line_height) if len(block) > 1 else None
        if cut is None:
            lines += _rows(block)
            continue
        axis, at = cut
        before = [b for b in block if (b.bottom if axis == "y" else b.right) <= at]
        after = [b for b in block if (b.bottom if axis == "y" else b.right) > at]
        pending += [after, before]  # popped first: before
    return lines
