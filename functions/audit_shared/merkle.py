"""RFC 9162 (Certificate Transparency 2.0) Merkle tree hashing, inclusion and consistency proofs.

Shared by the digest function, the ``verify`` script and client SDKs, so it is standard library only.

- leaf hash: ``SHA-256(0x00 || data)``; interior node: ``SHA-256(0x01 || left || right)``. The
  domain-separation bytes stop a leaf from being passed off as an interior node (second preimage).
- the tree head of n leaves (MTH, RFC 9162 §2.1.1) splits at the largest power of two below n, so
  a tree of n leaves is unique and a log can grow by appending.

The two verifiers implement the algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2 step by step. They
return ``False`` for any proof that does not reproduce the root exactly, including a path that is
one hash too long or too short: accepting a proof whose length does not match the tree shape is how
verifiers get fooled (immudb GO-2022-1117).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
# MTH({}) = SHA-256() (RFC 9162 §2.1.1): e3b0c442...b855.
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def leaf_hashes(leaves: Iterable[bytes]) -> list[bytes]:
    return [leaf_hash(leaf) for leaf in leaves]


def _split(size: int) -> int:
    """The largest power of two strictly smaller than size (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def _subtree_root(hashes: Sequence[bytes], start: int, end: int) -> bytes:
    """MTH of the leaves hashes[start:end], computed without copying slices."""
    if end - start == 1:
        return hashes[start]
    middle = start + _split(end - start)
    return node_hash(_subtree_root(hashes, start, middle), _subtree_root(hashes, middle, end))


def root_from_hashes(hashes: Sequence[bytes]) -> bytes:
    """The tree head of a list of leaf hashes (already ``leaf_hash``-ed)."""
    if not hashes:
        return EMPTY_ROOT
    return _subtree_root(hashes, 0, len(hashes))


def root(leaves: Iterable[bytes]) -> bytes:
    """The tree head of a list of raw leaf inputs."""
    return root_from_hashes(leaf_hashes(leaves))


# --- inclusion ------------------------------------------------------------------------------------


def inclusion_proof(hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1: sibling hashes from the leaf up to the root."""
    if not 0 <= index < len(hashes):
        raise IndexError(f"leaf index {index} is outside a tree of {len(hashes)} leaves")
    path: list[bytes] = []
    start, end = 0, len(hashes)
    # Walk down from the root, remembering the sibling subtree at each level; the proof lists
    # them bottom-up, hence the reverse at the end.
    while end - start > 1:
        middle = start + _split(end - start)
        if index < middle:
            path.append(_subtree_root(hashes, middle, end))
            end = middle
        else:
            path.append(_subtree_root(hashes, start, middle))
            start = middle
    path.reverse()
    return path


def root_from_inclusion_proof(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes | None:
    """The root a proof leads to (RFC 9162 §2.1.3.2 steps 1-4), or None if the path has the wrong shape."""
    if not 0 <= index < size or any(len(item) != HASH_SIZE for item in path) or len(leaf) != HASH_SIZE:
        return None
    fn, sn = index, size - 1
    result = leaf
    for sibling in path:
        if sn == 0:
            return None  # more hashes than the tree has levels
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            if not fn & 1:
                # The right edge of an incomplete tree: skip levels where this node has no sibling.
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None  # fewer hashes than the path to the root needs
    return result


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], expected_root: bytes) -> bool:
    """True only if ``leaf`` (a leaf *hash*) is at ``index`` of the tree of ``size`` with that root."""
    computed = root_from_inclusion_proof(leaf, index, size, path)
    return computed is not None and computed == expected_root


# --- consistency ----------------------------------------------------------------------------------


def _subproof(hashes: Sequence[bytes], old_size: int, start: int, end: int, complete: bool) -> list[bytes]:
    """SUBPROOF(m, D[start:end], b) of RFC 9162 §2.1.4.1."""
    size = end - start
    if old_size == size:
        return [] if complete else [_subtree_root(hashes, start, end)]
    split = _split(size)
    if old_size <= split:
        return [*_subproof(hashes, old_size, start, start + split, complete), _subtree_root(hashes, start + split, end)]
    return [
        *_subproof(hashes, old_size - split, start + split, end, False),
        _subtree_root(hashes, start, start + split),
    ]


def consistency_proof(hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(m, D[n]): that the first ``old_size`` leaves of ``hashes`` are a prefix of the tree."""
    if not 0 <= old_size <= len(hashes):
        raise ValueError(f"old size {old_size} is outside 0..{len(hashes)}")
    if old_size in (0, len(hashes)):
        return []  # nothing to prove: every tree extends the empty tree, and equals itself
    return _subproof(hashes, old_size, 0, len(hashes), True)


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """True only if the tree of ``new_size`` with ``new_root`` extends the one of ``old_size``/``old_root``.

    RFC 9162 §2.1.4.2 covers 0 < old_size < new_size; the edges follow the definition of PROOF:
    equal sizes need an empty proof and equal roots, and the empty tree needs an empty proof.
    """
    if not 0 <= old_size <= new_size or any(len(item) != HASH_SIZE for item in proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False  # step 1
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)  # step 2: the old root is a complete subtree of the new tree
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]  # step 5
    for hash_ in path[1:]:  # step 6
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(hash_, fr)
            sr = node_hash(hash_, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, hash_)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root  # step 7
