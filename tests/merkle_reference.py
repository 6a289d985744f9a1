"""RFC 6962 Merkle tree hashing with hashlib alone: the test suites' own
reference for lib/core/merkle, sharing no code with it. The BATS suites
find it on PYTHONPATH (tests/test_helper.bash)."""
import hashlib


def sha(b):
    return hashlib.sha256(b).digest()


def leaf(hexdigest):
    """The leaf hash SHA-256(0x00 || bytes) of a hex string's bytes."""
    return sha(b"\x00" + bytes.fromhex(hexdigest))


def mth(h):
    """The Merkle tree hash of leaf hashes h (RFC 6962 section 2.1)."""
    if len(h) == 1:
        return h[0]
    k = 1
    while 2 * k < len(h):
        k *= 2
    return sha(b"\x01" + mth(h[:k]) + mth(h[k:]))
