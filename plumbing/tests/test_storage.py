"""The platform's file store and its rule for uploaded files: bytes kept whole under a random key per
tenant, given back whole or in chunks, never outside the store's folder whatever the key or tenant
says; files told by their bytes (PDF, PNG, JPEG), with a size limit and a French refusal naming the field."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from extranet_plumbing.storage import (
    DocumentNotFound,
    DocumentRefused,
    LocalFolderStore,
    StorageSettings,
    check_document,
    content_disposition,
    read_form,
)

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48


@pytest.fixture
def store(tmp_path: Path) -> LocalFolderStore:
    return LocalFolderStore(tmp_path / "store")


async def test_a_file_is_kept_whole_and_given_back_whole_or_in_chunks(store: LocalFolderStore):
    data = PDF + bytes(range(256)) * 1000
    key = await store.put("mbtp", data)
    assert await store.get("mbtp", key) == data
    assert await store.get("mbtp", str(key)) == data  # the key as an event carries it
    chunks = [chunk async for chunk in await store.stream("mbtp", key, chunk_bytes=10_000)]
    assert b"".join(chunks) == data and len(chunks) == -(-len(data) // 10_000)
    # the folder was made by the store, readable by its owner only, and holds nothing but the file
    path = store.path("mbtp", key)
    assert path.parent == store.root / "mbtp" and path.stat().st_mode & 0o077 == 0
    assert [p.name for p in path.parent.iterdir()] == [key.hex]


async def test_keys_are_random_and_never_the_content(store: LocalFolderStore):
    first, second = await store.put("mbtp", PDF), await store.put("mbtp", PDF)
    assert first != second and first.version == 4
    assert hashlib.sha256(PDF).hexdigest()[:32] not in {first.hex, second.hex}


async def test_a_tenant_reads_only_its_own_files(store: LocalFolderStore):
    key = await store.put("mbtp", PDF)
    with pytest.raises(DocumentNotFound):
        await store.get("solimut", key)
    with pytest.raises(DocumentNotFound):
        await store.stream("solimut", key)


async def test_a_file_deleted_is_gone_and_deleting_twice_is_nothing(store: LocalFolderStore):
    key = await store.put("mbtp", PNG)
    await store.delete("mbtp", key)
    await store.delete("mbtp", key)
    with pytest.raises(DocumentNotFound):
        await store.get("mbtp", key)


@pytest.mark.parametrize(
    "key",
    [
        "../secret",
        "..%2Fsecret",
        "/etc/passwd",
        "mbtp/../../etc/passwd",
        "",
        "..",
        "0" * 31 + "/",
        "C:\\Windows\\win.ini",
        "00000000-0000-0000-0000-000000000000/../x",
    ],
)
async def test_no_key_reaches_a_file_outside_the_store(store: LocalFolderStore, tmp_path: Path, key: str):
    (tmp_path / "secret").write_bytes(b"secret")
    (tmp_path / "store").mkdir()
    with pytest.raises(DocumentNotFound):
        await store.get("mbtp", key)
    with pytest.raises(DocumentNotFound):
        await store.stream("mbtp", key)
    await store.delete("mbtp", key)  # nothing, and nothing outside is touched
    assert (tmp_path / "secret").read_bytes() == b"secret"


@pytest.mark.parametrize("tenant", ["..", "../store", "MBTP", "", "a/b", "mbtp\x00"])
async def test_no_tenant_reaches_another_folder(store: LocalFolderStore, tenant: str):
    key = await store.put("mbtp", PDF)
    with pytest.raises(DocumentNotFound):
        await store.get(tenant, key)
    with pytest.raises(DocumentNotFound):
        await store.put(tenant, PDF)


def test_the_folder_and_limit_come_from_the_environment(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("EXTRANET_DOCUMENTS_DIR", str(tmp_path / "docs"))
    monkeypatch.setenv("EXTRANET_DOCUMENTS_MAX_BYTES", "1048576")
    settings = StorageSettings()
    assert settings.documents_folder("enrollment") == tmp_path / "docs" and settings.documents_max_bytes == 1024 * 1024
    monkeypatch.delenv("EXTRANET_DOCUMENTS_DIR")
    assert StorageSettings().documents_folder("enrollment").parts[-2:] == ("extranet-documents", "enrollment")


@pytest.mark.parametrize(
    ("name", "data", "media_type"), [("a.pdf", PDF, "application/pdf"), ("b.PNG", PNG, "image/png"), ("c.jpeg", JPEG, "image/jpeg")]
)
def test_files_are_told_by_their_bytes(name, data, media_type):
    document = check_document("piece", "La pièce justificative", name, data)
    assert (document.media_type, document.size, document.sha256) == (media_type, len(data), hashlib.sha256(data).hexdigest())


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("faux.pdf", b"Ceci n'est pas un PDF", "La pièce justificative doit être un fichier PDF, PNG ou JPEG."),
        ("programme.pdf", EXE, "La pièce justificative doit être un fichier PDF, PNG ou JPEG."),
        ("scan.png", PDF, "Le nom du fichier ne correspond pas à son contenu : un fichier PDF se termine par .pdf."),
        ("vide.pdf", b"", "Le fichier est vide."),
        (None, b"", "La pièce justificative est obligatoire."),
    ],
)
def test_a_file_refused_names_its_field_in_french(name, data, message):
    with pytest.raises(DocumentRefused) as refused:
        check_document("piece", "La pièce justificative", name, data)
    assert (refused.value.field, refused.value.message) == ("piece", message)


def test_the_size_limit_is_the_callers():
    data = PDF + b"\x00" * (1024 * 1024)
    assert check_document("piece", "La pièce", "a.pdf", data).size == len(data)  # under the 4 MB default
    with pytest.raises(DocumentRefused) as refused:
        check_document("piece", "La pièce", "a.pdf", data, max_bytes=1024 * 1024)
    assert refused.value.message == "Le fichier dépasse 1 Mo."
    with pytest.raises(DocumentRefused) as refused:
        check_document("piece", "La pièce", "a.pdf", PDF + b"\x00" * (4 * 1024 * 1024))
    assert refused.value.message == "Le fichier dépasse 4 Mo."


async def test_a_multipart_form_gives_its_fields_and_files():
    boundary = "XyZ"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="label"\r\n\r\nAttestation\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="attestation.pdf"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + PDF
        + f"\r\n--{boundary}--\r\n".encode()
    )
    fields, files = await read_form(f"multipart/form-data; boundary={boundary}", body)
    assert fields == {"label": "Attestation"} and files == {"file": ("attestation.pdf", PDF)}
    assert await read_form("application/json", b"{}") is None


def test_the_download_name_is_quoted_and_cannot_break_the_header():
    header = content_disposition('relevé "2026"\r\n.pdf')
    assert "\r" not in header and "\n" not in header
    assert header.startswith('attachment; filename="relev_ _2026___.pdf"')
    assert header.endswith("filename*=UTF-8''relev%C3%A9%20%222026%22%0D%0A.pdf")
