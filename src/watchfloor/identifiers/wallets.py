"""Checksums of cryptocurrency addresses: a string that only looks like an address is not a
signal, so every candidate is decoded and its checksum verified.

- Bitcoin legacy (P2PKH ``1...``, P2SH ``3...``): Base58Check, the first four bytes of a
  double SHA-256 of the payload (Bitcoin wiki, "Base58Check encoding").
- Bitcoin SegWit (``bc1...``): Bech32 for version 0 and Bech32m for versions 1-16 (BIP 173,
  BIP 350), with the witness program lengths those BIPs allow.
- Ethereum (``0x`` and 40 hex digits): mixed case must match the EIP-55 checksum (Keccak-256
  of the lower-case hex); all-lower or all-upper addresses carry no checksum and are taken.
- Monero (95 characters, ``4...`` or ``8...``; 106 for integrated addresses): Monero's
  block-wise Base58, the last four bytes being the start of a Keccak-256 of the rest.

Keccak-256 is the original Keccak submission (padding byte 0x01), not NIST SHA3-256, which
the standard library has; it is written out here, being short and only run on candidates.
"""

from __future__ import annotations

import hashlib

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(B58)}

# -- Keccak-256 --------------------------------------------------------------------------------

_RC = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]  # fmt: skip
_ROT = [
    [0, 36, 3, 41, 18],
    [1, 44, 10, 45, 2],
    [62, 6, 43, 15, 61],
    [28, 55, 25, 21, 56],
    [27, 20, 39, 8, 14],
]  # _ROT[x][y]
_MASK = (1 << 64) - 1


def _rotl(v: int, n: int) -> int:
    return ((v << n) | (v >> (64 - n))) & _MASK if n else v


def _keccak_f(a: list[list[int]]) -> None:
    for rc in _RC:
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rotl(c[(x + 1) % 5], 1) for x in range(5)]
        for x in range(5):
            for y in range(5):
                a[x][y] ^= d[x]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = _rotl(a[x][y], _ROT[x][y])
        for x in range(5):
            for y in range(5):
                a[x][y] = b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y])
        a[0][0] ^= rc


def keccak256(data: bytes) -> bytes:
    rate = 136
    padded = bytearray(data) + b"\x01"
    padded += b"\x00" * (-len(padded) % rate)
    padded[-1] |= 0x80
    state = [[0] * 5 for _ in range(5)]
    for start in range(0, len(padded), rate):
        block = padded[start : start + rate]
        for i in range(rate // 8):
            state[i % 5][i // 5] ^= int.from_bytes(block[8 * i : 8 * i + 8], "little")
        _keccak_f(state)
    out = b"".join(state[i % 5][i // 5].to_bytes(8, "little") for i in range(4))
    return out


# -- Bitcoin -----------------------------------------------------------------------------------


def _b58_int(text: str) -> int | None:
    n = 0
    for c in text:
        i = _B58_INDEX.get(c)
        if i is None:
            return None
        n = n * 58 + i
    return n


def b58decode(text: str) -> bytes | None:
    n = _b58_int(text)
    if n is None:
        return None
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\x00" * (len(text) - len(text.lstrip("1"))) + raw


def is_btc_legacy(address: str) -> bool:
    if not 26 <= len(address) <= 35 or address[0] not in "13":
        return False
    raw = b58decode(address)
    if raw is None or len(raw) != 25 or raw[0] not in (0x00, 0x05):
        return False
    check = hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()[:4]
    return check == raw[-4:]


_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32M_CONST = 0x2BC830A3


def _polymod(values: list[int]) -> int:
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def _convert(data: list[int], frm: int, to: int) -> list[int] | None:
    acc = bits = 0
    out = []
    for v in data:
        acc = (acc << frm) | v
        bits += frm
        while bits >= to:
            bits -= to
            out.append((acc >> bits) & ((1 << to) - 1))
    if bits >= frm or (acc << (to - bits)) & ((1 << to) - 1):
        return None
    return out


def is_btc_segwit(address: str, hrp: str = "bc") -> bool:
    if address.lower() != address and address.upper() != address:
        return False  # mixed case is never valid Bech32
    address = address.lower()
    pos = address.rfind("1")
    if address[:pos] != hrp or not 14 <= len(address) <= 90 or pos + 7 > len(address):
        return False
    try:
        data = [_BECH32.index(c) for c in address[pos + 1 :]]
    except ValueError:
        return False
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    const = _polymod(expanded + data)
    version = data[0]
    if const != (1 if version == 0 else _BECH32M_CONST) or version > 16:
        return False
    program = _convert(data[1:-6], 5, 8)
    if program is None or not 2 <= len(program) <= 40:
        return False
    return version != 0 or len(program) in (20, 32)


# -- Ethereum ----------------------------------------------------------------------------------


def is_eth(address: str) -> bool:
    if len(address) != 42 or not address.startswith("0x"):
        return False
    body = address[2:]
    if any(c not in "0123456789abcdefABCDEF" for c in body):
        return False
    if body.lower() == body or body.upper() == body:
        return True  # no checksum to check
    digest = keccak256(body.lower().encode()).hex()
    return all(
        (c.upper() if int(h, 16) >= 8 else c.lower()) == c
        for c, h in zip(body, digest, strict=False)
    )


# -- Monero ------------------------------------------------------------------------------------

_XMR_BLOCK = [0, 2, 3, 5, 6, 7, 9, 10, 11]  # encoded length of a block of n bytes
_XMR_NETWORK = {18, 19, 42}  # standard, integrated, subaddress (main network)


def _xmr_decode(text: str) -> bytes | None:
    out = bytearray()
    for start in range(0, len(text), 11):
        chunk = text[start : start + 11]
        if len(chunk) not in _XMR_BLOCK:
            return None
        size = _XMR_BLOCK.index(len(chunk))
        n = _b58_int(chunk)
        if n is None or n >= 1 << (8 * size):
            return None
        out += n.to_bytes(size, "big")
    return bytes(out)


def is_xmr(address: str) -> bool:
    if len(address) not in (95, 106) or address[0] not in "48":
        return False
    raw = _xmr_decode(address)
    if raw is None or raw[0] not in _XMR_NETWORK:
        return False
    return keccak256(raw[:-4])[:4] == raw[-4:]
