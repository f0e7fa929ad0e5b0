"""Ed25519 keys that sign update packages (``idtool update keygen``).

The private key stays with whoever publishes updates (the curator); every post holds
only the public key, and ``idtool update apply --trust PUBLIC_KEY`` refuses any package
that key did not sign. Keys are PEM files: PKCS#8 for the private key (mode 0600),
SubjectPublicKeyInfo for the public one.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from idtool.errors import BadField, NotFound, UpdateRefused

PRIVATE_NAME = "idtool-update.key"
PUBLIC_NAME = "idtool-update.pub"


@dataclass(frozen=True)
class KeyPair:
    private_path: Path
    public_path: Path
    key_id: str

    def to_dict(self) -> dict[str, str]:
        return {
            "private_key": str(self.private_path),
            "public_key": str(self.public_path),
            "key_id": self.key_id,
        }


def key_id(public: Ed25519PublicKey) -> str:
    """A short fingerprint of a public key (SHA-256 of its raw bytes, 16 hex digits)."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def generate_keys(out: Path) -> KeyPair:
    """Write a new key pair into ``out`` (created if needed).

    Raises:
        BadField: a key file already exists there (keys are never overwritten).
    """
    out.mkdir(parents=True, exist_ok=True)
    private_path, public_path = out / PRIVATE_NAME, out / PUBLIC_NAME
    for path in (private_path, public_path):
        if path.exists():
            raise BadField(f"{path} already exists: keys are never overwritten")
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public = private.public_key()
    public_path.write_bytes(
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return KeyPair(private_path, public_path, key_id(public))


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """Raises: NotFound: no such file. BadField: not an Ed25519 private key (PEM)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"private key {path} does not exist") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise BadField(f"{path} is not a PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BadField(f"{path} is not an Ed25519 key (use `idtool update keygen`)")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Raises: NotFound: no such file. BadField: not an Ed25519 public key (PEM)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"public key {path} does not exist") from None
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise BadField(f"{path} is not a PEM public key: {exc}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise BadField(f"{path} is not an Ed25519 public key (use `idtool update keygen`)")
    return key


def verify_signature(public: Ed25519PublicKey, signature: bytes, message: bytes) -> None:
    """Raises: UpdateRefused: the signature is not ``public``'s over ``message``."""
    try:
        public.verify(signature, message)
    except InvalidSignature:
        raise UpdateRefused(
            "the package's signature does not verify with the trusted key "
            f"(key id {key_id(public)}): it was altered, or signed with another key"
        ) from None
