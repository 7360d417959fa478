"""RFC 9162 hashing against the published test vectors, and proofs that must not verify.

The vectors are the RFC 6962 reference data used by Certificate Transparency implementations
(transparency-dev/merkle ``testonly``, google/certificate-transparency ``merkle_tree_test``): eight
leaf inputs, the root of every prefix of them, and inclusion and consistency proofs over them.
"""

from __future__ import annotations

import hashlib

import pytest

from audit_shared import merkle

LEAVES = [bytes.fromhex(text) for text in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                           "606162636465666768696a6b6c6d6e6f")]  # fmt: skip
H = bytes.fromhex
# ROOTS[n] is the tree head of LEAVES[:n].
ROOTS = [
    H("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    H("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    H("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    H("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    H("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    H("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]
# (leaf index, tree size) -> audit path
INCLUSION_VECTORS = {
    (0, 1): [],
    (0, 2): [H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7")],
    (1, 2): [H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")],
    (2, 3): [H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")],
    (1, 5): [
        H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
    ],
    (0, 8): [
        H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    (5, 8): [
        H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
        H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    ],
}
# (old size, new size) -> consistency proof
CONSISTENCY_VECTORS = {
    (1, 1): [],
    (1, 8): [
        H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    (2, 5): [
        H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
    ],
    (6, 8): [
        H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
        H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    ],
}
HASHES = merkle.leaf_hashes(LEAVES)


def flipped(data: bytes, position: int = 0) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


# --- known answers ---------------------------------------------------------------------------------


def test_empty_tree_and_empty_leaf() -> None:
    assert merkle.root([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert hashlib.sha256(b"").digest() == merkle.EMPTY_ROOT
    assert merkle.leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"


def test_node_hash_is_domain_separated_from_leaf_hash() -> None:
    left, right = HASHES[0], HASHES[1]
    assert merkle.node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert merkle.node_hash(left, right) != merkle.leaf_hash(left + right)


@pytest.mark.parametrize("size", range(len(ROOTS)))
def test_root_of_every_prefix(size: int) -> None:
    assert merkle.root(LEAVES[:size]) == ROOTS[size]


@pytest.mark.parametrize(("index", "size"), sorted(INCLUSION_VECTORS))
def test_inclusion_vectors(index: int, size: int) -> None:
    expected = INCLUSION_VECTORS[(index, size)]
    assert merkle.inclusion_proof(HASHES[:size], index) == expected
    assert merkle.verify_inclusion(HASHES[index], index, size, expected, ROOTS[size])


@pytest.mark.parametrize(("old", "new"), sorted(CONSISTENCY_VECTORS))
def test_consistency_vectors(old: int, new: int) -> None:
    expected = CONSISTENCY_VECTORS[(old, new)]
    assert merkle.consistency_proof(HASHES[:new], old) == expected
    assert merkle.verify_consistency(old, new, ROOTS[old], ROOTS[new], expected)


def test_every_generated_proof_of_the_test_tree_verifies() -> None:
    for size in range(1, 9):
        for index in range(size):
            path = merkle.inclusion_proof(HASHES[:size], index)
            assert merkle.verify_inclusion(HASHES[index], index, size, path, ROOTS[size]), (index, size)
        for old in range(size + 1):
            proof = merkle.consistency_proof(HASHES[:size], old)
            assert merkle.verify_consistency(old, size, ROOTS[old], ROOTS[size], proof), (old, size)


def test_large_tree_proofs_round_trip() -> None:
    hashes = merkle.leaf_hashes(str(n).encode() for n in range(1000))
    head = merkle.root_from_hashes(hashes)
    for index in (0, 1, 511, 512, 998, 999):
        assert merkle.verify_inclusion(hashes[index], index, 1000, merkle.inclusion_proof(hashes, index), head)
    for old in (1, 3, 512, 777, 999):
        proof = merkle.consistency_proof(hashes, old)
        assert merkle.verify_consistency(old, 1000, merkle.root_from_hashes(hashes[:old]), head, proof)


# --- forged inclusion proofs -----------------------------------------------------------------------

CASES = [(index, size) for size in range(1, 9) for index in range(size)]


@pytest.mark.parametrize(("index", "size"), CASES)
def test_inclusion_fails_with_a_missing_or_extra_path_hash(index: int, size: int) -> None:
    path = merkle.inclusion_proof(HASHES[:size], index)
    if path:
        assert not merkle.verify_inclusion(HASHES[index], index, size, path[:-1], ROOTS[size])
        assert not merkle.verify_inclusion(HASHES[index], index, size, path[1:], ROOTS[size])
    for extra in (HASHES[0], ROOTS[size], bytes(32)):
        assert not merkle.verify_inclusion(HASHES[index], index, size, [*path, extra], ROOTS[size])
        assert not merkle.verify_inclusion(HASHES[index], index, size, [extra, *path], ROOTS[size])


@pytest.mark.parametrize(("index", "size"), CASES)
def test_inclusion_fails_for_a_flipped_byte_in_the_leaf_or_the_path(index: int, size: int) -> None:
    path = merkle.inclusion_proof(HASHES[:size], index)
    tampered_leaf = merkle.leaf_hash(LEAVES[index] + b"\x00") if not LEAVES[index] else None
    changed = merkle.leaf_hash(flipped(LEAVES[index])) if LEAVES[index] else tampered_leaf
    assert changed is not None
    assert not merkle.verify_inclusion(changed, index, size, path, ROOTS[size])
    for position in range(len(path)):
        forged = [*path[:position], flipped(path[position], 31), *path[position + 1 :]]
        assert not merkle.verify_inclusion(HASHES[index], index, size, forged, ROOTS[size])


@pytest.mark.parametrize(("index", "size"), CASES)
def test_inclusion_fails_for_a_wrong_index_or_size(index: int, size: int) -> None:
    path = merkle.inclusion_proof(HASHES[:size], index)
    for wrong in (index - 1, index + 1, size, -1):
        assert not merkle.verify_inclusion(HASHES[index], wrong, size, path, ROOTS[size]), wrong
    # A left leaf has the same path in trees that differ only right of it (index 0 of 3 or 4
    # leaves), which is why the digest signs the size with the root. Every size whose path has
    # another shape, or that cannot hold the index, must fail.
    for wrong_size in range(0, 10):
        shape_differs = wrong_size <= index or len(merkle.inclusion_proof(HASHES[:1] * wrong_size, index)) != len(path)
        if wrong_size != size and shape_differs:
            assert not merkle.verify_inclusion(HASHES[index], index, wrong_size, path, ROOTS[size]), wrong_size


def test_inclusion_fails_when_the_leaf_order_is_swapped() -> None:
    swapped = [HASHES[1], HASHES[0], *HASHES[2:]]
    assert merkle.root_from_hashes(swapped) != ROOTS[8]
    # The proof for leaf 0 built from the swapped tree does not verify against the real root...
    assert not merkle.verify_inclusion(HASHES[0], 1, 8, merkle.inclusion_proof(swapped, 1), ROOTS[8])
    # ...and the real proof does not place leaf 0 at index 1.
    assert not merkle.verify_inclusion(HASHES[0], 1, 8, merkle.inclusion_proof(HASHES, 0), ROOTS[8])


def test_inclusion_fails_for_an_interior_node_passed_off_as_a_leaf() -> None:
    # MTH(D[0:2]) with the right sibling subtree reproduces the root of 4 leaves, but a tree of
    # 4 leaves needs two hashes to reach a leaf: the short path is refused.
    interior = merkle.node_hash(HASHES[0], HASHES[1])
    sibling = merkle.node_hash(HASHES[2], HASHES[3])
    assert merkle.node_hash(interior, sibling) == ROOTS[4]
    assert not merkle.verify_inclusion(interior, 0, 4, [sibling], ROOTS[4])


def test_inclusion_fails_for_malformed_hashes() -> None:
    path = merkle.inclusion_proof(HASHES[:8], 3)
    assert not merkle.verify_inclusion(HASHES[3][:31], 3, 8, path, ROOTS[8])
    assert not merkle.verify_inclusion(HASHES[3], 3, 8, [*path[:-1], path[-1] + b"\x00"], ROOTS[8])


def test_inclusion_proof_refuses_an_index_outside_the_tree() -> None:
    with pytest.raises(IndexError):
        merkle.inclusion_proof(HASHES[:3], 3)


# --- forged consistency proofs ---------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new"), [(old, new) for new in range(2, 9) for old in range(1, new)])
def test_consistency_fails_when_tampered(old: int, new: int) -> None:
    proof = merkle.consistency_proof(HASHES[:new], old)
    assert not merkle.verify_consistency(old, new, ROOTS[old], ROOTS[new], proof[:-1])
    assert not merkle.verify_consistency(old, new, ROOTS[old], ROOTS[new], [*proof, HASHES[0]])
    assert not merkle.verify_consistency(old, new, flipped(ROOTS[old]), ROOTS[new], proof)
    assert not merkle.verify_consistency(old, new, ROOTS[old], flipped(ROOTS[new]), proof)
    for position in range(len(proof)):
        forged = [*proof[:position], flipped(proof[position], 7), *proof[position + 1 :]]
        assert not merkle.verify_consistency(old, new, ROOTS[old], ROOTS[new], forged)
    assert not merkle.verify_consistency(new, old, ROOTS[new], ROOTS[old], proof)
    if old + 1 < new:
        assert not merkle.verify_consistency(old + 1, new, ROOTS[old + 1], ROOTS[new], proof)


def test_consistency_edge_sizes() -> None:
    assert merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, ROOTS[5], [])
    assert not merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, ROOTS[5], [HASHES[0]])
    assert merkle.verify_consistency(5, 5, ROOTS[5], ROOTS[5], [])
    assert not merkle.verify_consistency(5, 5, ROOTS[5], ROOTS[6], [])
    assert not merkle.verify_consistency(3, 5, ROOTS[3], ROOTS[5], [])
