"""effects/payloads.py: the guarantee (any run of 63+ characters of sensitive content, as is,
base64 or hex, is found), whole secrets, and no false hits on common text."""

from __future__ import annotations

import base64
import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracehound.effects.payloads import BLOCK, Fingerprints, PayloadHit

ALPHABET = string.ascii_letters + string.digits + "+/=-_ \n.,:;"
PROSE = ("The quick brown fox jumps over the lazy dog. " * 40 + "def main():\n    return 0\n" * 40
         + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 40)


def random_text(rng, size):
    return "".join(rng.choice(ALPHABET) for _ in range(size))


def session_with(content, source="3"):
    prints = Fingerprints()
    prints.add_content(content, source, "~/.ssh/id_rsa")
    return prints


@pytest.mark.parametrize("seed", range(40))
def test_every_run_of_63_or_more_is_found_as_is(seed):
    rng = random.Random(seed)
    content = random_text(rng, rng.randint(64, 3000))
    length = rng.randint(2 * BLOCK - 1, min(len(content), 400))
    start = rng.randint(0, len(content) - length)
    outgoing = random_text(rng, rng.randint(0, 300)) + content[start:start + length] + \
        random_text(rng, rng.randint(0, 300))
    hits = session_with(content).carried(outgoing)
    assert PayloadHit("3", "~/.ssh/id_rsa", "plain", "content") in hits


@pytest.mark.parametrize("seed", range(40))
def test_every_run_of_64_is_found_base64_encoded_at_any_alignment(seed):
    rng = random.Random(1000 + seed)
    content = random_text(rng, rng.randint(100, 2000))
    start = rng.randint(0, len(content) - 64)
    blob = (random_text(rng, rng.randint(0, 50)) + content[start:start + 64] +
            random_text(rng, rng.randint(0, 50))).encode()
    encoded = base64.b64encode(blob).decode()
    if seed % 3 == 1:
        encoded = base64.urlsafe_b64encode(blob).decode()
    if seed % 3 == 2:
        encoded = "\n".join(encoded[i:i + 76] for i in range(0, len(encoded), 76))
    hits = session_with(content).carried(f"data={encoded}&x=1")
    assert any(h.form == "base64" for h in hits), (seed, hits)


@pytest.mark.parametrize("seed", range(20))
def test_every_run_of_64_is_found_hex_encoded_in_either_case(seed):
    rng = random.Random(2000 + seed)
    content = random_text(rng, rng.randint(100, 2000))
    start = rng.randint(0, len(content) - 64)
    encoded = content[start:start + 64].encode().hex()
    if seed % 2:
        encoded = encoded.upper()
    assert any(h.form == "hex" for h in session_with(content).carried(f"x {encoded} y"))


def test_a_run_of_31_is_never_found():
    rng = random.Random(7)
    content = random_text(rng, 2000)
    prints = session_with(content)
    for start in range(0, 1900, 37):
        assert prints.carried("<" + content[start:start + BLOCK - 1] + ">") == ()


def test_no_false_hit_on_common_text():
    rng = random.Random(11)
    prints = Fingerprints()
    for n in range(20):
        prints.add_content(random_text(rng, 4000), str(n))
    prints.add_content("-----BEGIN OPENSSH PRIVATE KEY-----\n" + "=" * 80 + "\n" + " " * 64, "x")
    assert prints.carried(PROSE) == ()
    assert prints.carried("=" * 500 + " " * 500 + "-" * 500) == ()


def test_whole_secret_found_as_a_token_and_encoded():
    prints = Fingerprints()
    prints.add_secret("AKIAIOSFODNN7EXAMPLE", "5", "aws-access-key-id")
    assert prints.carried("key=AKIAIOSFODNN7EXAMPLE;") == (
        PayloadHit("5", "aws-access-key-id", "plain", "secret"),)
    b64 = base64.b64encode(b"AWS_KEY=AKIAIOSFODNN7EXAMPLE\n").decode()
    assert prints.carried(f"blob {b64}")[0].form == "base64"
    assert prints.carried("x " + "AKIAIOSFODNN7EXAMPLE".encode().hex())[0].form == "hex"
    assert prints.carried("AKIAIOSFODNN7EXAMPLF") == ()


def test_secrets_inside_content_are_fingerprinted_whole():
    prints = Fingerprints()
    prints.add_content("[default]\naws_access_key_id = AKIAQX3TRHZ9KP2M7ZX2\n", "2")
    assert prints.carried("echo AKIAQX3TRHZ9KP2M7ZX2")[0].what == "secret"


def test_one_token_content_is_a_secret():
    prints = Fingerprints()
    prints.add_content("hvs.CAESIJ3kq9Zx8fPZ\n", "4", "~/.vault-token")
    assert prints.carried("token: hvs.CAESIJ3kq9Zx8fPZ") == (
        PayloadHit("4", "~/.vault-token", "plain", "secret"),)


def test_hits_name_each_source_once():
    prints = Fingerprints()
    rng = random.Random(3)
    first, second = random_text(rng, 200), random_text(rng, 200)
    prints.add_content(first, "1")
    prints.add_content(second, "2")
    hits = prints.carried(first[10:150] + second[20:120] + first[50:120])
    assert [h.source for h in hits] == ["1", "2"]


def test_empty_fingerprints_cost_nothing():
    assert Fingerprints().carried(PROSE * 10) == ()
    assert not Fingerprints()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400), st.text(max_size=400))
def test_never_raises(content, outgoing):
    prints = Fingerprints()
    prints.add_content(content, "1")
    prints.add_secret(content[:40], "2")
    prints.carried(outgoing)
    if len(content) >= 2 * BLOCK - 1 and len(set(content)) > 2:
        run = content[:2 * BLOCK - 1]
        if all(len(set(run[i:i + BLOCK])) > 2 for i in range(0, len(run) - BLOCK + 1)):
            assert prints.carried(run)
