"""Addresses are signals only when their checksums hold (public test vectors)."""

from __future__ import annotations

import pytest

from watchfloor.identifiers.wallets import is_btc_legacy, is_btc_segwit, is_eth, is_xmr, keccak256


def test_keccak256_is_the_original_keccak_not_sha3() -> None:
    assert keccak256(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )
    long = keccak256(b"a" * 300)  # more than one 136-byte block
    assert len(long) == 32 and long != keccak256(b"a" * 299)


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", True),  # the genesis block's address
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", False),  # last character changed
        ("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", True),  # P2SH, Bitcoin wiki example
        ("1A1zP1eP5QGefi2DMPTfTL5SLmv7Div0Na", False),  # 0 is not Base58
        ("1111111111111111111114oLvT2", True),  # hash of zeros: leading ones
    ],
)
def test_legacy_bitcoin_addresses(address: str, ok: bool) -> None:
    assert is_btc_legacy(address) is ok


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", True),  # BIP 173, upper case
        ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", True),
        ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", False),  # checksum
        ("bc1qw508d6qejxtdg4y5r3zarvarY0c5xw7kv8f3t4", False),  # mixed case
        ("tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", False),  # test network
        ("bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3", True),  # P2WSH
    ],
)
def test_segwit_bitcoin_addresses(address: str, ok: bool) -> None:
    assert is_btc_segwit(address) is ok


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", True),  # EIP-55 examples
        ("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", True),
        ("0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", True),
        ("0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb", True),
        ("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", True),  # no checksum to check
        ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", False),  # one case flipped
        ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", False),  # 39 digits
        ("0xZaAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", False),
    ],
)
def test_ethereum_addresses(address: str, ok: bool) -> None:
    assert is_eth(address) is ok


def test_monero_addresses_need_their_keccak_checksum() -> None:
    # the Monero General Fund's published donation address
    fund = (
        "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7"
        "SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"
    )
    assert is_xmr(fund)
    assert not is_xmr(fund[:-1] + "B")
    assert not is_xmr(fund[:94])
    assert not is_xmr("4" * 95)
