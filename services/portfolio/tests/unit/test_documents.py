"""The Kbis a broker attaches: PDF, PNG or JPEG told by their content (never by the name or the type the
browser announces), a name that agrees with it, 4 MB at most, not empty; each refusal a French sentence
naming the form field."""

from __future__ import annotations

import hashlib

import pytest

from portfolio.domain.documents import MAX_DOCUMENT_BYTES, DocumentRefused, check_document

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48 + b"This program cannot be run in DOS mode."
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"


def refusal(name: str | None, data: bytes) -> DocumentRefused:
    with pytest.raises(DocumentRefused) as refused:
        check_document("kbis", "Le Kbis", name, data)
    assert refused.value.field == "kbis"
    return refused.value


@pytest.mark.parametrize(
    ("name", "data", "media_type"),
    [
        ("kbis.pdf", PDF, "application/pdf"),
        ("KBIS-2026.PDF", PDF, "application/pdf"),
        ("scan.png", PNG, "image/png"),
        ("photo.jpg", JPEG, "image/jpeg"),
        ("photo.JPEG", JPEG, "image/jpeg"),
    ],
)
def test_pdf_png_and_jpeg_are_accepted_and_told_by_their_content(name, data, media_type):
    document = check_document("kbis", "Le Kbis", name, data)
    assert (document.media_type, document.size, document.name) == (media_type, len(data), name)
    assert document.sha256 == hashlib.sha256(data).hexdigest()


def test_a_renamed_executable_is_refused():
    assert refusal("kbis.pdf", EXE).message == "Le Kbis doit être un fichier PDF, PNG ou JPEG."


def test_another_kind_of_image_is_refused():
    assert refusal("kbis.gif", GIF).message == "Le Kbis doit être un fichier PDF, PNG ou JPEG."
    assert refusal("kbis.png", GIF).message == "Le Kbis doit être un fichier PDF, PNG ou JPEG."  # the name does not make it one


def test_a_name_that_does_not_agree_with_the_content_is_refused():
    assert refusal("kbis.pdf", PNG).message == "Le nom du fichier ne correspond pas à son contenu : un fichier PNG se termine par .png."
    assert refusal("kbis.exe", PDF).message == "Le nom du fichier ne correspond pas à son contenu : un fichier PDF se termine par .pdf."
    assert refusal("kbis", JPEG).message.endswith("un fichier JPEG se termine par .jpg ou .jpeg.")


def test_a_file_over_4_mb_is_refused_and_4_mb_is_accepted():
    exactly = PDF + b"0" * (MAX_DOCUMENT_BYTES - len(PDF))
    assert check_document("kbis", "Le Kbis", "kbis.pdf", exactly).size == 4 * 1024 * 1024
    assert refusal("kbis.pdf", exactly + b"0").message == "Le fichier dépasse 4 Mo."


def test_an_empty_or_missing_file_is_refused():
    assert refusal("kbis.pdf", b"").message == "Le fichier est vide."
    assert refusal(None, b"").message == "Le Kbis est obligatoire."


def test_the_name_kept_is_the_last_part_of_what_the_browser_sent():
    assert check_document("kbis", "Le Kbis", "C:\\fakepath\\kbis cabinet.pdf", PDF).name == "kbis cabinet.pdf"
    assert check_document("kbis", "Le Kbis", "../../etc/kbis.pdf", PDF).name == "kbis.pdf"
    assert refusal("kbis\x00.pdf", PDF).message == "Le nom du fichier n'est pas valide."
    assert refusal("k" * 300 + ".pdf", PDF).message == "Le nom du fichier n'est pas valide."
