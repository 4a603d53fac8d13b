"""Does an MP3 decode in its first seconds? A frame walk in pure Python.

Junk that starts with MPEG frame-sync bytes passed the header check and VLC's parse (both
look at headers only); it then "played" and libmpg123 printed thousands of "big_values too
large!" lines (issue #25). This walks the first seconds of frames the way a decoder does:
each header must be valid and the next one must start where the frame length says, and a
Layer III frame's side information must be possible (big_values ≤ 288, no "normal" block
with window switching), the two checks libmpg123 fails such frames on. A real encoder
never writes such frames; random bytes under a valid header fail them nine times in ten.
"""

from __future__ import annotations

from pathlib import Path

SECONDS = 2.0
MAX_BAD_SHARE = 0.2  # more damaged frames than this in the first seconds: not decodable
_BITRATES = {1: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
             2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)}
_RATES = (44100, 48000, 32000)


def _header(b: bytes, i: int) -> tuple[int, int, int, bool, int] | None:
    """(frame length, MPEG version 1|2, layer, has CRC, channels) of a Layer III header at
    `i`, or None when it is no valid header. Other layers are accepted with layer != 3."""
    if i + 4 > len(b) or b[i] != 0xFF or b[i + 1] & 0xE0 != 0xE0:
        return None
    version_bits, layer_bits = (b[i + 1] >> 3) & 3, (b[i + 1] >> 1) & 3
    bitrate_index, rate_index = b[i + 2] >> 4, (b[i + 2] >> 2) & 3
    if version_bits == 1 or layer_bits == 0 or bitrate_index in (0, 15) or rate_index == 3:
        return None  # reserved values; free format (0) cannot be walked
    version = 1 if version_bits == 3 else 2
    rate = _RATES[rate_index] >> (0 if version_bits == 3 else 1 if version_bits == 2 else 2)
    layer = 4 - layer_bits
    padding = (b[i + 2] >> 1) & 1
    if layer != 3:
        return None if layer == 1 else (144000 * _BITRATES[1][bitrate_index] // rate + padding,
                                         version, layer, False, 2)
    kbps = _BITRATES[version][bitrate_index]
    length = (144000 if version == 1 else 72000) * kbps // rate + padding
    channels = 1 if (b[i + 3] >> 6) == 3 else 2
    return length, version, layer, not (b[i + 1] & 1), channels


class _Bits:
    def __init__(self, data: bytes) -> None:
        self.value, self.left = int.from_bytes(data, "big"), len(data) * 8

    def take(self, n: int) -> int:
        self.left -= n
        return (self.value >> self.left) & ((1 << n) - 1)


def _side_info_ok(b: bytes, i: int, version: int, crc: bool, channels: int) -> bool:
    start = i + 4 + (2 if crc else 0)
    size = (17 if channels == 1 else 32) if version == 1 else (9 if channels == 1 else 17)
    if start + size > len(b):
        return True  # cut short by our read, not damaged
    bits = _Bits(b[start:start + size])
    bits.take(9 if version == 1 else 8)  # main_data_begin
    bits.take((5 if channels == 1 else 3) if version == 1 else channels)  # private bits
    if version == 1:
        bits.take(4 * channels)  # scfsi
    for _granule in range(2 if version == 1 else 1):
        for _ch in range(channels):
            bits.take(12)  # part2_3_length
            if bits.take(9) > 288:  # big_values: at most 576 / 2 lines
                return False
            bits.take(8 + (4 if version == 1 else 9))  # global gain, scalefac_compress
            if bits.take(1):  # window switching
                if bits.take(2) == 0:  # block_type 0 is not allowed with it
                    return False
                bits.take(1 + 10 + 9)
            else:
                bits.take(15 + 4 + 3)
            bits.take((1 if version == 1 else 0) + 2)
    return True


def mp3_problem(path: Path, seconds: float = SECONDS) -> str | None:
    """None when the first `seconds` of frames look decodable, else why not (in words for
    the skipped-files list). Free-format files (no frame lengths) are not judged."""
    try:
        with path.open("rb") as fh:
            data = fh.read(10)
            skip = 0
            if data[:3] == b"ID3" and len(data) == 10:  # ID3v2 tag: syncsafe size
                skip = 10 + sum((data[6 + k] & 0x7F) << (7 * (3 - k)) for k in range(4))
            fh.seek(skip)
            b = fh.read(int(seconds * 320_000 / 8) + 64 * 1024)  # 2 s at 320 kb/s, and slack
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    i = next((k for k in range(min(len(b), 64 * 1024)) if _header(b, k)), None)
    if i is None:
        return "holds no MP3 audio frames (damaged or not an MP3)"
    frames = bad = 0
    played = 0.0
    while played < seconds and i + 4 <= len(b):
        head = _header(b, i)
        if head is None:  # lost the frame chain: count it and look for the next header
            bad += 1
            frames += 1
            nxt = next((k for k in range(i + 1, min(len(b), i + 8192)) if _header(b, k)), None)
            if nxt is None:
                if i + 8192 < len(b):  # 8 KB without a frame, and more bytes behind
                    return (f"does not decode: no MP3 frame in 8 KB after frame {frames} "
                            "(damaged, or junk with MP3 frame marks)")
                break
            i = nxt
            continue
        length, version, layer, crc, channels = head
        frames += 1
        if layer == 3 and not _side_info_ok(b, i, version, crc, channels):
            bad += 1
        played += (1152 if version == 1 or layer != 3 else 576) / 44100
        i += max(length, 4)
    if frames >= 8 and bad > MAX_BAD_SHARE * frames:
        return (f"does not decode: {bad} of the first {frames} MP3 frames are damaged "
                "(junk with MP3 frame marks)")
    return None
