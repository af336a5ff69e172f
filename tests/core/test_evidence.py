"""Evidence intake: hashing, folders, archives (zip-slip and zip bombs refused), integrity."""

import gzip
import hashlib
import io
import zipfile

import pytest

from tracehound.evidence import Digest, IntakeError, collect


def write(path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_folder_is_recursed_in_sorted_order_and_hashed(tmp_path):
    write(tmp_path / "b" / "2.ndjson", b"{}\n")
    write(tmp_path / "a.json", b"{}")
    write(tmp_path / "b" / "1.csv", b"x\n")
    write(tmp_path / ".hidden", b"secret")
    with collect([tmp_path]) as intake:
        names = [s.path.removeprefix(str(tmp_path)) for s in intake.sources]
        assert names == ["/a.json", "/b/1.csv", "/b/2.ndjson"]
        assert intake.sources[0].sha256 == hashlib.sha256(b"{}").hexdigest()
        assert intake.changed_originals() == []


def test_missing_path_is_an_intake_error(tmp_path):
    with pytest.raises(IntakeError, match="no such file or folder"):
        collect([tmp_path / "nope"])


def test_changed_original_is_detected(tmp_path):
    f = write(tmp_path / "e.ndjson", b'{"a":1}\n')
    with collect([f]) as intake:
        assert intake.sources[0].sha256     # taken (a parser waits for it the same way)
        f.write_bytes(b'{"a":2}\n')
        changed = intake.changed_originals()
    assert len(changed) == 1 and changed[0][1].startswith("sha256 is now ")


def zip_bytes(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_members_are_sources_named_archive_bang_member(tmp_path):
    z = write(tmp_path / "pack.zip", zip_bytes([("x/b.ndjson", b"{}\n"), ("a.json", b"{}")]))
    with collect([z]) as intake:
        assert [s.path for s in intake.sources] == [f"{z}!a.json", f"{z}!x/b.ndjson"]
        assert all(s.fs_path.exists() for s in intake.sources)
        # the archive itself is what is re-checked for integrity
        assert [o.path for o in intake.originals] == [z]
        workdir = intake.sources[0].fs_path.parent
    assert not workdir.exists(), "extracted copies are removed when the intake closes"


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/passwd", "a/../../b", "C:\\x.txt",
                                  "..\\win.txt"])
def test_zip_slip_is_refused(tmp_path, name):
    z = write(tmp_path / "evil.zip", zip_bytes([("ok.json", b"{}"), (name, b"x")]))
    other = write(tmp_path / "other.json", b"{}")
    with collect([z, other]) as intake:
        assert [s.path for s in intake.sources] == [str(other)], "nothing of the archive is read"
        [issue] = intake.issues
        assert (issue.path, issue.locator) == (str(z), "file")
        assert "zip-slip" in issue.problem and repr(name) in issue.problem
    assert not (tmp_path / "escape.txt").exists()


def refused(intake):
    assert intake.sources == []
    [issue] = intake.issues
    return issue.problem


def test_zip_bomb_is_refused_by_ratio(tmp_path):
    z = write(tmp_path / "bomb.zip", zip_bytes([("zeros.bin", b"\0" * 20_000_000)]))
    with collect([z]) as intake:
        assert "possible zip bomb" in refused(intake)


def test_zip_bomb_is_refused_by_total_limit(tmp_path):
    z = write(tmp_path / "big.zip", zip_bytes([("a.txt", b"abc" * 1000)]))
    with collect([z], expansion_limit=100) as intake:
        assert "possible zip bomb" in refused(intake)


def test_zip_bomb_with_lying_header_is_stopped_while_expanding(tmp_path):
    z = write(tmp_path / "liar.zip", zip_bytes([("a.txt", b"abc" * 10_000)]))
    data = bytearray(z.read_bytes())
    # understate the uncompressed size in the central directory (offset 24 of the entry)
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = (10).to_bytes(4, "little")
    z.write_bytes(bytes(data))
    with collect([z], expansion_limit=1000) as intake:
        problem = refused(intake)
        assert "zip bomb" in problem or "not a readable zip" in problem


def test_gzip_is_read_and_bounded(tmp_path):
    g = write(tmp_path / "trail.json.gz", gzip.compress(b'{"Records": []}'))
    with collect([g]) as intake:
        assert [s.path for s in intake.sources] == [f"{g}!trail.json"]
        assert intake.sources[0].data == b'{"Records": []}'
    bomb = write(tmp_path / "bomb.gz", gzip.compress(b"\0" * 10_000_000))
    with collect([bomb]) as intake:
        assert "zip bomb" in refused(intake)


def test_broken_zip_is_an_intake_error(tmp_path):
    z = write(tmp_path / "broken.zip", b"PK\x03\x04garbage")
    with collect([z]) as intake:
        assert "not a readable zip" in refused(intake)


def test_a_plain_file_is_hashed_on_the_hashing_thread_and_waited_for(tmp_path):
    data = b'{"a":1}\n' * 100_000
    f = write(tmp_path / "big.ndjson", data)
    with collect([f]) as intake:
        source = intake.sources[0]
        assert isinstance(source.digest, Digest)
        assert source.sha256 == hashlib.sha256(data).hexdigest()
        assert intake.hashed_at == {source.sha256: intake.originals[0].hashed_at}


def test_recheck_reports_a_changed_and_a_vanished_original(tmp_path):
    kept, changed, gone = (write(tmp_path / n, b"{}\n") for n in ("k.json", "c.json", "g.json"))
    with collect([kept, changed, gone]) as intake:
        assert all(s.sha256 for s in intake.sources)
        changed.write_bytes(b"[]\n")
        gone.unlink()
        found = {o.path.name: problem for o, problem in intake.recheck().result(timeout=30)}
    assert found["c.json"] == "sha256 is now " + hashlib.sha256(b"[]\n").hexdigest()
    assert found["g.json"].startswith("cannot be read any more")
    assert "k.json" not in found
