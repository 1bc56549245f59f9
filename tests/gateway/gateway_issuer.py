"""A small OIDC issuer for the real-gateway tests: discovery and JWKS over HTTPS on loopback
(or plain HTTP, ``tls=False``).

``Issuer.start()`` serves, on a free port of 127.0.0.1 and with a certificate from a CA of
its own (``TestCA``):

- ``/.well-known/openid-configuration``: ``issuer`` (its own ``https://127.0.0.1:<port>``
  URL) and ``jwks_uri``;
- ``/jwks``: its RSA signing key (RS256, ``kid`` set).

``token(...)`` signs a JWT with that key (``joserfc``); every claim can be overridden or
removed, so tests make expired tokens, tokens for another audience, without ``sub``, ...
Every request the issuer answers is recorded in ``requests`` (path, Authorization header).
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/jwks"
_DROP = object()
#: Pass as a claim value to leave the claim out of the token.
DROP: Any = _DROP


class TestCA:
    """A throw-away certificate authority; ``leaf()`` issues a server certificate for
    127.0.0.1. ``ca_file`` holds the CA certificate (PEM), for clients to trust."""

    __test__ = False  # not a test class, despite its name

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ome-mcp gateway test CA")])
        now = datetime.datetime.now(datetime.UTC)
        self.certificate = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(self._key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(self._key, hashes.SHA256()))
        self.ca_file = directory / "ca.crt"
        self.ca_file.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))

    def leaf(self, name: str) -> tuple[Path, Path]:
        """A certificate for ``127.0.0.1`` and ``localhost``: (certificate file, key file)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(self.certificate.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(self._key, hashes.SHA256()))
        cert_file, key_file = self.directory / f"{name}.crt", self.directory / f"{name}.key"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return cert_file, key_file


@dataclass
class Issuer:
    """An OIDC issuer on ``https://127.0.0.1:<port>`` (see the module docstring)."""

    ca: TestCA
    name: str = "issuer"
    kid: str = "test-key-1"
    #: False: plain http (for showing that the gateway refuses such an issuer).
    tls: bool = True
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": self.kid, "use": "sig",
                                                         "alg": "RS256"})

    @property
    def port(self) -> int:
        assert self._server is not None, "the issuer is not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The issuer identifier: the ``iss`` of its tokens."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def discovery(self) -> dict[str, Any]:
        return {"issuer": self.url, "jwks_uri": self.url + JWKS_PATH,
                "authorization_endpoint": self.url + "/authorize",
                "token_endpoint": self.url + "/token",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"]}

    def jwks(self) -> dict[str, Any]:
        return KeySet([self.key]).as_dict(private=False)

    def token(self, *, sub: str = "alice", audience: str | list[str] = "mcp-tools",
              groups: list[str] | None = None, lifetime: int = 300,
              key: RSAKey | None = None, kid: str | None = None, **claims: Any) -> str:
        """A signed JWT from this issuer; ``DROP`` as a value leaves a claim out, a negative
        ``lifetime`` makes it expired."""
        now = int(time.time())
        body: dict[str, Any] = {"iss": self.url, "sub": sub, "aud": audience, "iat": now - 5,
                                "nbf": now - 5, "exp": now + lifetime}
        if groups is not None:
            body["groups"] = groups
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not _DROP}
        return jwt.encode({"alg": "RS256", "kid": kid or self.kid}, body, key or self.key)

    def start(self) -> Issuer:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                issuer.requests.append((self.path, self.headers.get("Authorization")))
                documents: Mapping[str, dict[str, Any]] = {
                    DISCOVERY_PATH: issuer.discovery(), JWKS_PATH: issuer.jwks()}
                document = documents.get(self.path.split("?")[0])
                body = json.dumps(document).encode() if document is not None else b"{}"
                self.send_response(200 if document is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        if self.tls:
            cert_file, key_file = self.ca.leaf(self.name)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert_file, key_file)
            server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever,
                                        kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
