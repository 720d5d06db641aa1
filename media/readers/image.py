"""Pictures of text (PNG, JPEG, TIFF) read through OCR: each frame of a TIFF is a page, any other
image is page 1. Only those three decoders are let near the file, and every frame's size is checked
from its header before a pixel is decoded: a PNG of one colour a few kilobytes long can claim to be
30,000 pixels square (2.7 GB once decoded)."""

from __future__ import annotations

import re
import warnings
from typing import BinaryIO

from PIL import Image, ImageOps

from media.document import DocumentText, Location, Passage
from media.errors import DamagedDocument, DocumentUnreadable, EmptyDocument, ImageTooLarge, OcrUnavailable
from media.ocr import DEFAULT_OCR, OcrEngineError, image_lines
from media.readers import ReadJob, clean_text, describe

# A camera's JPEG with a second, preview picture opens as "MPO": its first picture is read.
FORMATS = ("PNG", "JPEG", "TIFF")
# What Pillow raises for data it cannot decode: a bad checksum is a SyntaxError, a file cut short an
# OSError, an impossible header a ValueError or EOFError.
_DECODING_ERRORS = (OSError, SyntaxError, ValueError, EOFError)


def scan_lines(job: ReadJob, image: Image.Image) -> list[str]:
    """The lines of text in a scanned page, or a DocumentError if the OCR engine cannot be loaded."""
    try:
        return image_lines(image, DEFAULT_OCR)
    except OcrEngineError as error:
        raise OcrUnavailable(job.path, str(error)) from error


def _pixel_text(pixels: int) -> str:
    return f"{pixels / 1e6:,.0f} million pixels" if pixels >= 10**6 else f"{pixels:,} pixels"


def _check_size(job: ReadJob, image: Image.Image, frame: int, frames: int) -> None:
    width, height = image.size
    limit = job.limits.max_image_pixels
    if width * height > limit:
        where = f"page {frame + 1} is " if frames > 1 else ""
        raise ImageTooLarge(
            job.path, f"{where}{width:,} × {height:,} pixels, the limit is {_pixel_text(limit)}"
        )


def _too_large(job: ReadJob, error: Image.DecompressionBombError) -> ImageTooLarge:
    """Pillow's own bomb check (at twice its default of 89 million pixels) can fire before ours."""
    claimed = re.search(r"\((\d+) pixels\)", str(error))
    what = _pixel_text(int(claimed[1])) if claimed else "far too many pixels"
    return ImageTooLarge(job.path, f"{what}, the limit is {_pixel_text(job.limits.max_image_pixels)}")


def _open(job: ReadJob, file: BinaryIO) -> Image.Image:
    """The image with only its header read."""
    try:
        with warnings.catch_warnings():  # between 89 and 179 million pixels Pillow only warns; we refuse
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(file, formats=FORMATS)
    except Image.DecompressionBombError as error:
        raise _too_large(job, error) from error
    except Image.UnidentifiedImageError as error:
        raise DamagedDocument(job.path, "its header is not that of a PNG, JPEG or TIFF image") from error
    except _DECODING_ERRORS as error:
        raise DamagedDocument(job.path, describe(error)) from error


def _frames(job: ReadJob, image: Image.Image) -> int:
    """How many pages the image holds, each checked for size (TIFF headers only, no pixels)."""
    try:
        frames = getattr(image, "n_frames", 1) if image.format == "TIFF" else 1
        for frame in range(frames):
            image.seek(frame)
            _check_size(job, image, frame, frames)
    except ImageTooLarge:
        raise
    except _DECODING_ERRORS as error:
        raise DamagedDocument(job.path, f"its pages cannot be listed: {describe(error)}") from error
    return frames


def _decoded(job: ReadJob, image: Image.Image, frame: int, frames: int) -> Image.Image:
    """One frame decoded, turned the way the camera or scanner says it was held."""
    where = f"page {frame + 1}" if frames > 1 else "the image"
    try:
        image.seek(frame)
        if image.format in ("JPEG", "MPO"):
            image.draft(image.mode, (DEFAULT_OCR.max_side, DEFAULT_OCR.max_side))  # decode at 1/2 to 1/8 size
        image.load()
        return ImageOps.exif_transpose(image)
    except Image.DecompressionBombError as error:  # only where max_image_pixels was raised past Pillow's
        raise _too_large(job, error) from error
    except _DECODING_ERRORS as error:
        raise DamagedDocument(job.path, f"{where} cannot be decoded: {describe(error)}") from error


def read_image(job: ReadJob) -> DocumentText:
    try:
        file = job.path.open("rb")
    except OSError as error:
        raise DocumentUnreadable(job.path, error.strerror or str(error)) from error
    with file, _open(job, file) as image:
        frames = _frames(job, image)
        passages = []
        for frame in range(frames):
            what = f"page {frame + 1} of {frames}" if frames > 1 else "the image"
            job.report(frame / frames, f"reading {what} (OCR)")
            lines = scan_lines(job, _decoded(job, image, frame, frames))
            if lines:  # a blank page among written ones is left out, not an error
                passages.append(Passage(clean_text("\n".join(lines)), Location(page=frame + 1)))
    if not passages:
        where = f"its {frames} pages" if frames > 1 else "it"
        raise EmptyDocument(
            job.path,
            f"OCR found no text in {where}; if there is text, scan it again at 300 dpi with more contrast",
        )
    return DocumentText(title=job.path.stem, kind="image", passages=passages)
