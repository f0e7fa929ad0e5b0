"""The shipped nginx example (deploy/nginx/idtool-hub.conf) terminating TLS in front of
the hub: a post syncs over HTTPS with the agency CA, an untrusted certificate is refused,
and the hub sees the forwarded scheme. Runs where Debian's nginx is installed."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from hub_support import add_record, threaded_hub
from pg_cluster import free_port

from idtool.config import PROJECT_ROOT
from idtool.evidence.store import EvidenceStore
from idtool.hub.database import apply_migrations
from idtool.hub.tokens import HubRole, create_hub_token
from idtool.sync.client import HubUnreachable, sync_to_hub

CONFIG = PROJECT_ROOT / "deploy" / "nginx" / "idtool-hub.conf"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None
    )


pytestmark = pytest.mark.skipif(
    nginx_binary() is None, reason="nginx is not installed (Debian: apt-get install nginx)"
)


def make_ca_and_server_cert(folder: Path) -> tuple[Path, Path, Path]:
    """A self-signed agency CA and a certificate it signs for 127.0.0.1 / localhost."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Agency CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem, cert_pem, key_pem = folder / "ca.pem", folder / "fullchain.pem", folder / "privkey.pem"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_pem, cert_pem, key_pem


def nginx_config(folder: Path, hub_port: int, tls_port: int, cert: Path, key: Path) -> Path:
    """The shipped site config, pointed at this test's ports and certificate."""
    site = CONFIG.read_text(encoding="utf-8")
    site = site.replace("127.0.0.1:8100", f"127.0.0.1:{hub_port}")
    site = re.sub(r"server \{\s*listen 80;.*?\}\n", "", site, count=1, flags=re.S)
    site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{tls_port} ssl;")
    site = site.replace("/etc/ssl/idtool-hub/fullchain.pem", str(cert))
    site = site.replace("/etc/ssl/idtool-hub/privkey.pem", str(key))
    temp = folder / "temp"
    temp.mkdir(mode=0o777)
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = (
        f"{user}daemon off;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log warn;\n"
        "worker_processes 1;\nevents { worker_connections 64; }\n"
        f"http {{\naccess_log {folder}/access.log;\n"
        f"client_body_temp_path {temp}/body;\nproxy_temp_path {temp}/proxy;\n"
        f"fastcgi_temp_path {temp}/fastcgi;\nuwsgi_temp_path {temp}/uwsgi;\n"
        f"scgi_temp_path {temp}/scgi;\n{site}\n}}\n"
    )
    path = folder / "nginx.conf"
    path.write_text(main, encoding="utf-8")
    return path


@contextlib.contextmanager
def running_nginx(config: Path, folder: Path, port: int) -> Iterator[None]:
    proc = subprocess.Popen(
        [str(nginx_binary()), "-c", str(config), "-p", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                log = (folder / "error.log").read_text(errors="replace")
                raise RuntimeError(f"nginx exited: {log}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.05)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_sync_through_nginx_tls_with_the_agency_ca(hub_url: str, hub_store: Path) -> None:
    folder = Path(tempfile.mkdtemp(prefix="idtool-nginx-"))
    try:
        ca, cert, key = make_ca_and_server_cert(folder)
        apply_migrations(hub_url)
        token = create_hub_token(hub_url, "post-tls", HubRole.POST)
        post = EvidenceStore.open(folder / "post")
        add_record(post, b"\xff\xd8" + os.urandom(3000) + b"\xff\xd9", case_ref="TLS-1")
        tls_port = free_port()
        with threaded_hub(hub_url, hub_store, trusted_proxies=1) as hub:
            config = nginx_config(folder, hub.port, tls_port, cert, key)
            with running_nginx(config, folder, tls_port):
                url = f"https://127.0.0.1:{tls_port}"
                with pytest.raises(HubUnreachable, match="--ca-file"):
                    sync_to_hub(post, url, token)
                report = sync_to_hub(post, url, token, ca_file=ca)
                assert report.ok and report.records == 1 and report.files == 1
                # ProxyFix: the hub sees the HTTPS scheme nginx forwards (Secure cookie).
                login = requests.post(
                    url + "/hub/login",
                    data={"token": token},
                    verify=str(ca),
                    allow_redirects=False,
                    timeout=30,
                )
                assert login.status_code == 302
                assert "Secure" in login.headers["Set-Cookie"]
                assert login.headers["Strict-Transport-Security"].startswith("max-age=")
        post.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
