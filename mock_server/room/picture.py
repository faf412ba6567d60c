"""The character's generated picture: its name, its face's identity, the latest utterance, and a mark
that moves while it speaks. YUV 4:2:0 bytes drawn with a 3x5 pixel font: no image library, and the
still part is drawn only when what it shows changes."""

from __future__ import annotations

WIDTH, HEIGHT = 320, 240
SCALE = 2  # font pixels -> picture pixels
ADVANCE = 4 * SCALE  # a glyph and its gap
LINE = 7 * SCALE
COLUMNS = (WIDTH - 16) // ADVANCE
BACKGROUND, INK, DIM = 32, 235, 120
# Five rows of three bits each, as octal digits (top row first).
GLYPHS = {
    "A": "25755", "B": "65656", "C": "34443", "D": "65556", "E": "74647", "F": "74644", "G": "34553",
    "H": "55755", "I": "72227", "J": "11152", "K": "55655", "L": "44447", "M": "57755", "N": "65555",
    "O": "25552", "P": "65644", "Q": "25573", "R": "65655", "S": "34216", "T": "72222", "U": "55557",
    "V": "55552", "W": "55775", "X": "55255", "Y": "55222", "Z": "71247", "0": "75557", "1": "26227",
    "2": "61247", "3": "61216", "4": "55711", "5": "74616", "6": "34757", "7": "71222", "8": "75757",
    "9": "75711", " ": "00000", ".": "00002", ",": "00024", "!": "22202", "?": "61202", ":": "02020",
    "'": "22000", "-": "00700", "_": "00007", "/": "11244", "(": "12221", ")": "42224", "=": "07070",
    "+": "02720", "#": "57575", '"': "55000", "*": "05250", "@": "75747",
}


def _draw_text(luma: bytearray, x: int, y: int, text: str, value: int) -> None:
    for n, char in enumerate(text.upper()):
        rows = GLYPHS.get(char, GLYPHS["?"])
        left = x + n * ADVANCE
        for r, digit in enumerate(rows):
            bits = int(digit)
            for c in range(3):
                if bits & (4 >> c):
                    for dy in range(SCALE):
                        start = (y + r * SCALE + dy) * WIDTH + left + c * SCALE
                        luma[start:start + SCALE] = bytes((value,)) * SCALE


def _wrap(text: str, columns: int, lines: int) -> list[str]:
    words, out, line = text.split(), [], ""
    for word in words:
        while len(word) > columns:  # a word longer than a line is cut
            if line:
                out.append(line)
                line = ""
            out.append(word[:columns])
            word = word[columns:]
        candidate = f"{line} {word}".strip()
        if len(candidate) > columns:
            out.append(line)
            line = word
        else:
            line = candidate
    if line:
        out.append(line)
    return out[:lines]


def still(name: str, face: str, latest: str) -> bytes:
    """The luma plane of everything but the moving mark."""
    luma = bytearray((BACKGROUND,)) * (WIDTH * HEIGHT)
    _draw_text(luma, 8, 8, name[:COLUMNS], INK)
    _draw_text(luma, 8, 8 + LINE, f"FACE {face}"[:COLUMNS], DIM)
    for n, line in enumerate(_wrap(latest, COLUMNS, 9)):
        _draw_text(luma, 8, 60 + n * LINE, line, INK)
    _draw_text(luma, 8, HEIGHT - 16, "EQUOS-MOCK", DIM)
    return bytes(luma)


CHROMA = bytes((128,)) * ((WIDTH // 2) * (HEIGHT // 2))
MARK = 12  # the speaking mark's side, pixels


def with_mark(luma: bytes, step: int, speaking: bool) -> bytes:
    """The still plus the mark: it runs along the bottom while speaking, rests at the left otherwise."""
    if not speaking:
        step = 0
    frame = bytearray(luma)
    span = WIDTH - 120 - MARK
    x = 100 + (step * 9) % span
    for dy in range(MARK):
        start = (HEIGHT - 20 + dy - MARK // 2) * WIDTH + x
        frame[start:start + MARK] = bytes((INK if speaking else DIM,)) * MARK
    return bytes(frame)
