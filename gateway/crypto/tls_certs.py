"""Certificates for TLS between the gateway and its subgraphs, made by the init step.

``tandem keys provision`` writes a small private CA and two certificates it signs (EC P-256,
SHA-256), each with its key (files 0600 like the other secrets; never replaced once there):

=====================  ====================================================  ================
file                   what                                                  who reads it
=====================  ====================================================  ================
``tls-ca.pem``         the CA certificate (10 years): what the gateway       gateway, OA, ERP
                       trusts for subgraphs, what subgraphs trust for
                       the gateway's client certificate (mutual TLS)
``tls-ca.key``         its key: issues the other two (keep it offline)       the init step
``subgraph-tls.pem``   the subgraphs' server certificate (825 days) for the  OA, ERP
                       compose and Kubernetes names of OA and ERP, and
                       ``localhost``/``127.0.0.1`` (health checks)
``subgraph-tls.key``   its key                                               OA, ERP
``gateway-tls.pem``    the gateway's client certificate (825 days), shown    gateway
                       when the subgraphs demand one (mutual TLS)
``gateway-tls.key``    its key                                               gateway
=====================  ====================================================  ================

To renew a certificate, delete it and its key and run the init step again (the CA stays); to
use certificates from elsewhere (cert-manager, a company CA), put the files in place before
the init step runs, or point the settings at them (README, Deploying: TLS).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "SUBGRAPH_NAMES",
    "TLS_FILES",
    "TlsProvisionError",
    "issue_ca",
    "issue_certificate",
    "provision_tls",
]

TLS_FILES: Final = (
    "tls-ca.pem",
    "tls-ca.key",
    "subgraph-tls.pem",
    "subgraph-tls.key",
    "gateway-tls.pem",
    "gateway-tls.key",
)
SUBGRAPH_NAMES: Final = (
    "oa",
    "oa.tandem.svc",
    "oa.tandem.svc.cluster.local",
    "erp",
    "erp.tandem.svc",
    "erp.tandem.svc.cluster.local",
    "localhost",
    "127.0.0.1",
    "::1",
)
"""The names a subgraph is reached by: compose services, Kubernetes Services in the
``tandem`` namespace, and loopback for health checks."""
_CA_DAYS: Final = 3650
_LEAF_DAYS: Final = 825


class TlsProvisionError(ValueError):
    """The TLS files cannot be completed (names the file, never a key)."""


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def issue_ca(common_name: str = "Tandem internal CA") -> tuple[str, str]:
    """A new CA: (certificate PEM, key PEM)."""
    key = _key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=_CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            _key_usage(key_cert_sign=True, crl_sign=True),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return _pem(certificate), _pem_key(key)


def issue_certificate(
    ca_certificate: str,
    ca_key: str,
    common_name: str,
    *,
    names: Sequence[str] = (),
    client: bool = False,
) -> tuple[str, str]:
    """A certificate the CA signs: a server's for ``names`` (DNS names or IP addresses), or
    with ``client`` a client's; (certificate PEM, key PEM)."""
    issuer = x509.load_pem_x509_certificate(ca_certificate.encode("ascii"))
    signer = serialization.load_pem_private_key(ca_key.encode("ascii"), password=None)
    if not isinstance(signer, ec.EllipticCurvePrivateKey):
        raise TlsProvisionError("tls-ca.key: not an EC private key")
    key = _key()
    now = dt.datetime.now(dt.UTC)
    usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=_LEAF_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            _key_usage(digital_signature=True),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False
        )
    )
    if names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([_general_name(name) for name in names]), critical=False
        )
    return _pem(builder.sign(signer, hashes.SHA256())), _pem_key(key)


def provision_tls(directory: Path) -> dict[str, str]:
    """Write the missing TLS files into ``directory`` (0600); file name -> ``created`` or
    ``kept``. A certificate without its key (or a key without its certificate) is refused:
    delete both to have them made again."""
    done: dict[str, str] = {}
    ca = _pair(directory, "tls-ca", issue_ca, done)
    _pair(
        directory,
        "subgraph-tls",
        lambda: issue_certificate(*ca, "tandem subgraphs", names=SUBGRAPH_NAMES),
        done,
    )
    _pair(
        directory,
        "gateway-tls",
        lambda: issue_certificate(*ca, "tandem gateway", client=True),
        done,
    )
    return done


def _pair(
    directory: Path, stem: str, make: Callable[[], tuple[str, str]], done: dict[str, str]
) -> tuple[str, str]:
    """``<stem>.pem`` and ``<stem>.key``: kept if both are there, made if neither is."""
    certificate, key = directory / f"{stem}.pem", directory / f"{stem}.key"
    present = certificate.exists(), key.exists()
    if present == (False, False):
        made_certificate, made_key = make()
        _write_new(key, made_key)
        _write_new(certificate, made_certificate)
        done[certificate.name] = done[key.name] = "created"
    elif present == (True, True):
        done[certificate.name] = done[key.name] = "kept"
    else:
        have, lack = (certificate, key) if present[0] else (key, certificate)
        raise TlsProvisionError(
            f"{have.name} without {lack.name}: delete {have.name} to make a new pair"
        )
    return certificate.read_text(encoding="ascii"), key.read_text(encoding="ascii")


def _key_usage(**allowed: bool) -> x509.KeyUsage:
    """A key usage extension allowing only ``allowed``."""
    names = (
        "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
        "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only",
    )  # fmt: skip
    return x509.KeyUsage(**{name: allowed.get(name, False) for name in names})


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _write_new(path: Path, text: str) -> None:
    """Create ``path`` (0600) with ``text``; an existing file is never replaced."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(text)
