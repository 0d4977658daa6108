"""A local Kubernetes API server emulator with a kubelet that runs pods as local processes."""

from app.localcluster.api import create_local_cluster_app
from app.localcluster.cluster import Cluster
from app.localcluster.faults import Faults
from app.localcluster.kubeconfig import api_client, kubeconfig_yaml
from app.localcluster.kubelet import KubeletTimings, Node
from app.localcluster.server import LocalCluster, ThreadedLocalCluster, start_in_thread

__all__ = [
    "Cluster",
    "Faults",
    "KubeletTimings",
    "LocalCluster",
    "Node",
    "ThreadedLocalCluster",
    "api_client",
    "create_local_cluster_app",
    "kubeconfig_yaml",
    "start_in_thread",
]
