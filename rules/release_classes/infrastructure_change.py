"""infrastructure-change: cloud resources, node pools, storage classes and cluster-wide machinery.

Any resource of a Terraform plan or Pulumi preview that is added, removed or changed; in a cluster,
node pools (Karpenter NodePool / EC2NodeClass, Cluster API MachineDeployment / MachinePool, GKE
ContainerNodePool), StorageClasses, PersistentVolumes, CSI drivers, CRDs, admission webhooks,
priority and runtime classes. These outlive any one application and are shared by many.

Is infrastructure-change::

    kind: StorageClass
    parameters: {type: gp2}   ->   parameters: {type: gp3}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from govscan.rules._lib.release import label, verb
from govscan.scanner.model import ClassifierMeta, Platform, ReleaseClass, ResourceChange, Signal

META = ClassifierMeta(ReleaseClass.INFRASTRUCTURE_CHANGE, "Cloud resources, node pools, storage and cluster-wide kinds")

NODE_POOL_KINDS = frozenset(
    {"NodePool", "Provisioner", "EC2NodeClass", "AWSNodeTemplate", "AKSNodeClass", "MachineDeployment", "MachineSet",
     "MachinePool", "ContainerNodePool", "NodeGroup", "Nodegroup"}
)  # fmt: skip
STORAGE_KINDS = frozenset({"StorageClass", "VolumeSnapshotClass", "CSIDriver", "PersistentVolume"})
CLUSTER_KINDS = frozenset(
    {"CustomResourceDefinition", "APIService", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
     "PriorityClass", "RuntimeClass"}
)  # fmt: skip


def classify(change: ResourceChange, ctx: Any) -> Iterator[Signal]:
    resource = change.resource
    if resource.platform is not Platform.K8S:
        planned = f" (planned {change.action.value})" if change.action is not None else ""
        yield Signal(f"{verb(change)} cloud resource {resource.uid}{planned}")
    elif resource.kind in NODE_POOL_KINDS:
        yield Signal(f"{verb(change)} node pool {label(resource)}")
    elif resource.kind in STORAGE_KINDS:
        yield Signal(f"{verb(change)} storage {label(resource)}")
    elif resource.kind in CLUSTER_KINDS:
        yield Signal(f"{verb(change)} cluster-wide {label(resource)}")
