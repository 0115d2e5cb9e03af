"""Where portfolio keeps files (the Kbis brokers attach, the employer documents the legacy system
deposits): the platform's store, `extranet_plumbing.storage` (a random key per file, per tenant; the
file's name lives in the owner's row, never in the store)."""

from extranet_plumbing.storage import DocumentNotFound, DocumentStore, LocalFolderStore

__all__ = ["DocumentNotFound", "DocumentStore", "LocalFolderStore"]
