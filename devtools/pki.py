"""The local control plane's certificates and keys (``devtools/cluster.py``), made with
``cryptography``: one CA (ECDSA P-256) signing the API server's serving certificate and
each client's, and the RSA key pair that signs service-account tokens (RS256, the
algorithm every OIDC client implements). Files, under one directory::

    ca.crt ca.key                   the CA (ten years)
    apiserver.crt .key              serving: localhost, kubernetes(.default(.svc(.cluster.local)))
                                    and the given IP addresses (a year)
    admin.crt .key                  client, O=system:masters (the kubeconfig's user)
    kube-controller-manager.crt     client, CN=system:kube-controller-manager
    kube-scheduler.crt              client, CN=system:kube-scheduler
    sa.key sa.pub                   the service-account signing key pair

``Pki.ensure()`` makes them all when one is missing or a certificate nears expiry, and
leaves them alone otherwise. Private keys are written 0600.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: A certificate with less left than this is made anew.
RENEW_BEFORE = datetime.timedelta(days=30)
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Leaf:
    """A certificate the CA signs: ``pki/<name>.crt`` and ``pki/<name>.key``."""

    name: str
    common_name: str
    organization: str | None = None
    server: bool = False  # serverAuth with the API server's names, else clientAuth


LEAVES = (
    Leaf("apiserver", "kube-apiserver", server=True),
    Leaf("admin", "ome-mcp-admin", "system:masters"),
    Leaf("kube-controller-manager", "system:kube-controller-manager"),
    Leaf("kube-scheduler", "system:kube-scheduler"),
)
#: Every name a client may use for the API server.
SERVING_NAMES = (
    "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
)


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
        encipher_only=False, decipher_only=False,
    )


def _write_private(path: Path, data: bytes) -> None:
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _pem_key(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class Pki:
    """The cluster's certificates and keys in ``directory``; the API server's serving
    certificate is also valid for ``server_ips``."""

    def __init__(self, directory: Path, server_ips: Sequence[IPAddress] = ()) -> None:
        self.dir = directory
        self.server_ips = tuple(server_ips)

    def cert(self, name: str) -> Path:
        return self.dir / f"{name}.crt"

    def key(self, name: str) -> Path:
        return self.dir / f"{name}.key"

    @property
    def ca(self) -> Path:
        return self.cert("ca")

    @property
    def sa_private(self) -> Path:
        return self.dir / "sa.key"

    @property
    def sa_public(self) -> Path:
        return self.dir / "sa.pub"

    def _current(self) -> bool:
        names = ["ca", *(leaf.name for leaf in LEAVES)]
        files = [self.sa_private, self.sa_public]
        files += [p for n in names for p in (self.cert(n), self.key(n))]
        if not all(p.exists() for p in files):
            return False
        horizon = datetime.datetime.now(datetime.UTC) + RENEW_BEFORE
        for name in names:
            try:
                cert = x509.load_pem_x509_certificate(self.cert(name).read_bytes())
            except ValueError:
                return False
            if cert.not_valid_after_utc < horizon:
                return False
        return True

    def ensure(self) -> bool:
        """Make every certificate and key unless all exist and are far from expiry;
        returns whether they were made."""
        if self._current():
            return False
        self.dir.mkdir(parents=True, exist_ok=True)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = _name("ome-mcp-local-ca")
        ca_cert = self._sign(ca_name, ca_key.public_key(), ca_name, ca_key, ca=True, days=3650)
        self._write("ca", ca_cert, ca_key)
        for leaf in LEAVES:
            key = ec.generate_private_key(ec.SECP256R1())
            sans: list[x509.GeneralName] = []
            if leaf.server:
                sans = [x509.DNSName(n) for n in SERVING_NAMES]
                sans += [x509.IPAddress(a) for a in self.server_ips]
            cert = self._sign(
                _name(leaf.common_name, leaf.organization), key.public_key(), ca_name, ca_key,
                days=365, server=leaf.server, sans=sans,
            )
            self._write(leaf.name, cert, key)
        # RS256, the algorithm every OIDC client implements
        sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _write_private(self.sa_private, _pem_key(sa_key))
        self.sa_public.write_bytes(sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo,
        ))
        return True

    @staticmethod
    def _sign(
        subject: x509.Name,
        public_key: ec.EllipticCurvePublicKey,
        issuer: x509.Name,
        issuer_key: ec.EllipticCurvePrivateKey,
        *,
        days: int,
        ca: bool = False,
        server: bool = False,
        sans: Sequence[x509.GeneralName] = (),
    ) -> x509.Certificate:
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(_key_usage(ca=ca), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                critical=False,
            )
        )
        if not ca:
            usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
            builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    def _write(self, name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
        self.cert(name).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_private(self.key(name), _pem_key(key))

    def kubeconfig(self, server: str, user: str) -> dict[str, Any]:
        """A kubeconfig for ``server`` with the client certificate ``user``, embedded."""

        def data(path: Path) -> str:
            return base64.b64encode(path.read_bytes()).decode()

        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "ome-mcp", "cluster": {
                "server": server, "certificate-authority-data": data(self.ca)}}],
            "users": [{"name": user, "user": {
                "client-certificate-data": data(self.cert(user)),
                "client-key-data": data(self.key(user))}}],
            "contexts": [{"name": "ome-mcp", "context": {"cluster": "ome-mcp", "user": user}}],
            "current-context": "ome-mcp",
        }
