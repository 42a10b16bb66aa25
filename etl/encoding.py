"""Which encoding a text submission is in, decided from its bytes: UTF-8 (with or without BOM), UTF-16 with BOM,
or GB18030 — and never a guess that would load garbled text.

UTF-8 is validated in place by Arrow. A file that is not valid UTF-8 but whose multi-byte sequences mostly are
is UTF-8 with a few damaged bytes, and is rejected naming the first one: read as GB18030 it would decode without a
complaint into nonsense. GB18030 is taken only when the decoded text is plausibly Chinese.
"""

from __future__ import annotations

import codecs
import re

import numpy as np
import pyarrow as pa

from etl import problems as P
from etl.problems import FileRejected
from etl.source import SourceFile


def as_utf8(source: SourceFile) -> tuple[bytes, str | None, str]:
    """(UTF-8 bytes without BOM, the decoded text if it had to be decoded, the encoding found)."""
    data = source.data
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _decode(source, "utf-16")
        return text.encode("utf-8"), text, "utf-16"
    if _valid_utf8(data):
        # UTF-8, the usual case and that of every large file: parsed from the bytes, with no decoded copy
        bom = data.startswith(codecs.BOM_UTF8)
        return (data[len(codecs.BOM_UTF8):] if bom else data), None, "utf-8-sig" if bom else "utf-8"
    _reject_damaged_utf8(source)
    text = _decode(source, "gb18030")
    _reject_implausible_gb18030(source, text)
    return text.encode("utf-8"), text, "gb18030"


def _valid_utf8(data: bytes) -> bool:
    """Arrow's UTF-8 validation of the bytes in place (no decoded copy, several times faster than decoding)."""
    offsets = pa.array([0, len(data)], type=pa.int64()).buffers()[1]
    text = pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _reject_damaged_utf8(source: SourceFile) -> None:
    """A file whose multi-byte sequences are mostly valid UTF-8 is UTF-8 with a few bad bytes, not GB18030:
    GB18030 text almost never forms valid UTF-8 sequences, while UTF-8 Chinese text decodes as GB18030 without
    complaint — into nonsense. Counted without a Python loop: every ASCII byte, valid sequence and invalid
    sequence becomes one character of the leniently decoded text."""
    data = source.data
    lenient = data.decode("utf-8", "replace")
    invalid = lenient.count("\ufffd") - data.count("\ufffd".encode())
    high = int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) >= 0x80))
    valid_multibyte = len(lenient) - (len(data) - high) - invalid
    if not data.startswith(codecs.BOM_UTF8) and valid_multibyte < max(invalid, 1):
        return
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileRejected([P.make("utf8_invalid", source.name, None, "", "", offset=exc.start,
                                   bytes=data[exc.start:exc.start + 4].hex(" "), count=invalid)]) from None


def _decode(source: SourceFile, encoding: str) -> str:
    data = source.data
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        failures = [(encoding, exc.start)]
    if encoding == "gb18030":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            failures.insert(0, ("utf-8", exc.start))
    _encoding_error(source, failures)
    raise AssertionError  # not reached


def _encoding_error(source: SourceFile, failures: list[tuple[str, int]], note: tuple[str, str] = ("", "")) -> None:
    data = source.data
    detail = "；".join(f"按{enc.upper()}解码在第{offset}字节处失败（字节 {data[offset:offset + 4].hex(' ')}）"
                      for enc, offset in failures) + note[0]
    detail_en = "; ".join(f"{enc.upper()} fails at byte offset {offset} (bytes {data[offset:offset + 4].hex(' ')})"
                          for enc, offset in failures) + note[1]
    raise FileRejected([P.make("encoding", source.name, None, "", "", detail=detail, detail_en=detail_en)])


# Chinese text as GB18030 holds: CJK ideographs and punctuation, full-width forms, general punctuation, pinyin
# and symbols of GB 2312 (°, ×, №, ①, ℃ …), kana, Greek and Cyrillic. Random bytes decoded as GB18030 land
# elsewhere (private use, rare scripts), since GB18030 maps four-byte sequences to all of Unicode.
_GB_TEXT = re.compile("[\u00a0-\u024f\u02c7-\u02d9\u0370-\u04ff\u2000-\u27bf\u2e80-\u2fdf\u3000-\u33ff"
                      "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe10-\ufe6f\uff00-\uffef]")
_NON_ASCII = re.compile("[^\x00-\x7f]")


def _reject_implausible_gb18030(source: SourceFile, text: str) -> None:
    non_ascii = len(_NON_ASCII.findall(text))
    usual = len(_GB_TEXT.findall(text))
    if non_ascii and usual < 0.9 * non_ascii:
        try:
            source.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            _encoding_error(source, [("utf-8", exc.start)],
                            (f"；按GB18030解码得到的{non_ascii}个非ASCII字符中只有{usual}个是常见中文字符",
                             f"; decoded as GB18030, only {usual} of its {non_ascii} non-ASCII characters are usual "
                             "Chinese text"))
