"""Backups are encrypted at rest: CNPG object-store backups and Velero backup storage locations.

Backups hold every customer record, invoice and password hash of the ERP. Encrypted at rest, a leaked
bucket credential or a mis-set bucket ACL does not leak them. Checked:

- CloudNativePG `Cluster` `spec.backup.barmanObjectStore` and Barman Cloud plugin `ObjectStore`
  (`barmancloud.cnpg.io`) `spec.configuration`: on S3 (`s3://` or `s3Credentials`) both `data.encryption`
  and `wal.encryption` must be `AES256` or `aws:kms`. Azure Blob and Google Cloud Storage always encrypt at
  rest and pass.
- Velero `BackupStorageLocation`: `spec.config` sets `kmsKeyId`, `serverSideEncryption` or
  `customerKeyEncryptionFile` (AWS plugin) or `kmsKeyName` (GCP plugin); providers listed in the
  `encrypted_providers` option (Azure and GCP by default) always encrypt at rest and pass.
- Any of these passes with an explicit annotation `govscan.io/backup-encryption: "<how>"` (for example a
  bucket whose default KMS encryption is enforced by a bucket policy outside Kubernetes).

Passes (production)::

    kind: BackupStorageLocation     # velero.io
    spec:
      provider: aws
      config: {region: eu-west-1, kmsKeyId: "alias/velero-backups"}

Fails (production)::

    kind: BackupStorageLocation
    spec:
      provider: aws
      config: {region: eu-west-1}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from govscan.rules._lib.backup import VELERO_GROUP, is_cnpg_cluster
from govscan.rules._lib.workloads import dig
from govscan.scanner.context import Context
from govscan.scanner.model import Resource, RuleMeta, Severity, Violation, enforcement_table

ATTESTATION = "govscan.io/backup-encryption"
BARMAN_PLUGIN_GROUP = "barmancloud.cnpg.io"
S3_ALGORITHMS = frozenset({"AES256", "aws:kms"})
VELERO_KEYS = ("kmsKeyId", "serverSideEncryption", "customerKeyEncryptionFile", "kmsKeyName")


@dataclass(frozen=True)
class Options:
    encrypted_providers: tuple[str, ...] = ("azure", "velero.io/azure", "gcp", "velero.io/gcp")


RULE = RuleMeta(
    id="backup.encryption",
    domain="backup",
    title="Backups are not encrypted at rest",
    severity=Severity.HIGH,
    enforcement=enforcement_table(production="block", staging="warn", qa="info", development="info", sandbox="off"),
    remediation=(
        "CNPG on S3: set barmanObjectStore.data.encryption and wal.encryption to AES256 or aws:kms. Velero on "
        "AWS: set BackupStorageLocation spec.config.kmsKeyId (or serverSideEncryption: AES256)."
    ),
    kinds=("Cluster", "ObjectStore", "BackupStorageLocation"),
    controls=("security: secret protection", "backups: immutable copies"),
    options=Options(),
)


def check_barman(name: str, store: Mapping[str, Any], pointer: str) -> Iterator[Violation]:
    destination = str(store.get("destinationPath") or "")
    on_s3 = destination.startswith("s3://") or "s3Credentials" in store
    if not on_s3:
        return  # Azure Blob and GCS encrypt every object at rest
    missing = []
    for part in ("data", "wal"):
        value = dig(store, (part, "encryption"))
        if value not in S3_ALGORITHMS:
            missing.append(f"{part}.encryption" if value is None else f"{part}.encryption ({value!r})")
    if missing:
        yield Violation(
            f"{name}: S3 backups are not encrypted: set {' and '.join(missing)} to AES256 or aws:kms", pointer
        )


def check(resource: Resource, ctx: Context, options: Options) -> Iterator[Violation]:
    if ATTESTATION in resource.annotations:
        return
    if is_cnpg_cluster(resource):
        store = dig(resource.body, ("spec", "backup", "barmanObjectStore"))
        if isinstance(store, dict):
            yield from check_barman(f"Cluster {resource.name}", store, "/spec/backup/barmanObjectStore")
    elif resource.kind == "ObjectStore" and resource.group == BARMAN_PLUGIN_GROUP:
        store = dig(resource.body, ("spec", "configuration"))
        if isinstance(store, dict):
            yield from check_barman(f"ObjectStore {resource.name}", store, "/spec/configuration")
    elif resource.kind == "BackupStorageLocation" and resource.group == VELERO_GROUP:
        provider = str(dig(resource.body, ("spec", "provider")) or "")
        if provider in options.encrypted_providers:
            return
        config = dig(resource.body, ("spec", "config"))
        if isinstance(config, dict) and any(config.get(k) not in (None, "") for k in VELERO_KEYS):
            return
        yield Violation(
            f"BackupStorageLocation {resource.name} (provider {provider or 'unset'}) sets no kmsKeyId or "
            f"serverSideEncryption in spec.config; annotate {ATTESTATION} if the bucket enforces encryption itself",
            "/spec/config" if isinstance(config, dict) else "/spec",
        )
