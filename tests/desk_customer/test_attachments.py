"""Uploads: what is accepted, where it is stored, and who may download it."""

import io

import pytest
from werkzeug.datastructures import FileStorage

from app.core.errors import DomainError
from app.models import Attachment, Message
from app.support.attachments import file_path, store_attachments, validate_uploads

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


def upload(name, data):
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type="application/octet-stream")


def test_allowed_files_are_accepted_with_our_content_type(app):
    with app.test_request_context():
        uploads = validate_uploads([
            upload("screen shot.PNG", PNG), upload("invoice.pdf", PDF), upload("rows.csv", "a,b\n1,é\n".encode()),
            upload("", b""),  # the empty part a browser sends when no file was chosen
        ])
    assert [(u.filename, u.content_type, u.size) for u in uploads] == [
        ("screen shot.PNG", "image/png", len(PNG)),
        ("invoice.pdf", "application/pdf", len(PDF)),
        ("rows.csv", "text/csv", 9),
    ]


@pytest.mark.parametrize("name, data, message", [
    ("tool.exe", b"MZ\x90\x00", "is not a file type we accept"),
    ("page.html", b"<html>", "is not a file type we accept"),
    ("drawing.svg", b"<svg/>", "is not a file type we accept"),
    ("noext", b"hello", "is not a file type we accept"),
    ("photo.png", b"MZ\x90\x00 renamed executable", "does not look like a .png file"),
    ("notes.txt", b"\x00\x01binary", "does not look like a .txt file"),
    ("empty.txt", b"", "is empty"),
])
def test_disallowed_files_are_refused_with_a_clear_message(app, name, data, message):
    with app.test_request_context(), pytest.raises(DomainError) as exc:
        validate_uploads([upload(name, data)])
    assert message in exc.value.message and exc.value.field == "attachments"


def test_size_count_and_total_limits(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 100)
    monkeypatch.setitem(app.config, "MAX_UPLOAD_TOTAL_BYTES", 250)
    monkeypatch.setitem(app.config, "MAX_UPLOAD_FILES", 3)
    with app.test_request_context():
        with pytest.raises(DomainError, match="too large"):
            validate_uploads([upload("big.txt", b"x" * 101)])
        assert validate_uploads([upload("ok.txt", b"x" * 100)])[0].size == 100
        with pytest.raises(DomainError, match="too large together"):
            validate_uploads([upload(f"{i}.txt", b"x" * 90) for i in range(3)])
        with pytest.raises(DomainError, match="at most 3 files"):
            validate_uploads([upload(f"{i}.txt", b"x") for i in range(4)])


def test_file_names_lose_directories_and_control_characters(app):
    with app.test_request_context():
        [a, b] = validate_uploads([upload("..\\..\\windows\\счёт\x07.txt", b"hi"), upload("../../etc/报告.csv", b"1")])
    assert (a.filename, b.filename) == ("счёт.txt", "报告.csv")


def test_stored_files_get_random_names_under_the_upload_dir(app, db, make_ticket):
    ticket = make_ticket()
    message = ticket.messages[0]
    with app.test_request_context():
        rows = store_attachments(message, validate_uploads([upload("a.txt", b"one"), upload("a.txt", b"two")]))
        db.session.commit()
    paths = [file_path(r) for r in rows]
    assert paths[0] != paths[1] and all(p.read_bytes() in (b"one", b"two") for p in paths)
    assert all(str(p).startswith(app.config["UPLOAD_DIR"]) and "a.txt" not in str(p) for p in paths)


def test_a_rolled_back_transaction_leaves_no_files(app, db, make_ticket):
    ticket = make_ticket()
    with app.test_request_context():
        [row] = store_attachments(ticket.messages[0], validate_uploads([upload("a.txt", b"one")]))
        path = file_path(row)
        assert path.exists()
        db.session.rollback()
    assert not path.exists()
    assert db.session.scalars(db.select(Attachment)).all() == []
    assert db.session.get(Message, ticket.messages[0].id) is not None
