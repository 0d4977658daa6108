"""Kuberhealthy's published checker images, with the settings their READMEs document
(github.com/kuberhealthy/kuberhealthy, cmd/<check>/README.md) and the tags its manifests and Helm
chart pin. Kuberhealthy runs some with a run interval shorter than the timeout; Patrol refuses that,
so those defaults are changed to fit."""

from __future__ import annotations

from app.domain.catalog.model import (
    CheckTemplate,
    FieldEnv,
    Setting,
    SettingKind,
    TemplateCategory,
)

_DOCS = "https://github.com/kuberhealthy/kuberhealthy/tree/master/cmd/"
_ON_LOCAL = (
    "On the local cluster it runs as Patrol's built-in checker that reads the same settings."
)
_OWN_NAMESPACE = "metadata.namespace"


def _rbac(account: str, what: str, manifest: str) -> str:
    return (
        f"Runs as the ServiceAccount {account}, which must exist in the check's namespace and "
        f"be allowed to {what} (Kuberhealthy's {manifest} holds the Role and binding). "
        "It does not run on the local cluster."
    )


def _node_selector(what: str) -> Setting:
    return Setting(
        name="NODE_SELECTOR",
        label="Node selector",
        kind=SettingKind.STRING,
        help=f"Comma-separated key=value node labels for {what}; empty: any node.",
    )


def _tolerations(what: str) -> Setting:
    return Setting(
        name="TOLERATIONS",
        label="Tolerations",
        kind=SettingKind.STRING,
        help=f"Tolerations for {what}; empty: none.",
    )


HTTP_CHECK = CheckTemplate(
    id="kh-http-check",
    title="Kuberhealthy http-check",
    description="Sends HTTP requests to a URL and passes when enough get the expected status "
    f"code. {_ON_LOCAL}",
    category=TemplateCategory.KUBERHEALTHY,
    image="kuberhealthy/http-check:v1.5.0",
    runs_on_local_cluster=True,
    run_interval="5m",
    timeout="2m",
    docs_url=f"{_DOCS}http-check",
    settings=(
        Setting(
            name="CHECK_URL",
            label="URL",
            kind=SettingKind.URL,
            required=True,
            help="The http:// or https:// URL to request.",
        ),
        Setting(
            name="REQUEST_TYPE",
            label="Method",
            kind=SettingKind.ENUM,
            choices=("GET", "POST", "PUT", "DELETE", "PATCH"),
            default="GET",
            help="The HTTP method.",
        ),
        Setting(
            name="EXPECTED_STATUS_CODE",
            label="Expected status code",
            kind=SettingKind.INT,
            default="200",
            minimum=100,
            maximum=599,
            help="A request passes when it gets this status code.",
        ),
        Setting(
            name="REQUEST_BODY",
            label="Request body",
            kind=SettingKind.STRING,
            default="{}",
            help="Sent with every method but GET.",
        ),
        Setting(
            name="COUNT",
            label="Requests",
            kind=SettingKind.INT,
            default="1",
            minimum=1,
            help="How many requests each run sends (the image's own default, 0, sends none).",
        ),
        Setting(
            name="SECONDS",
            label="Seconds between requests",
            kind=SettingKind.INT,
            default="0",
            minimum=0,
            help="Whole seconds to wait between requests.",
        ),
        Setting(
            name="PASSING_PERCENT",
            label="Passing percent",
            kind=SettingKind.INT,
            default="100",
            minimum=1,
            maximum=100,
            help="The share of requests that must pass.",
        ),
    ),
)

HTTP_CONTENT_CHECK = CheckTemplate(
    id="kh-http-content-check",
    title="Kuberhealthy http-content-check",
    description="Fetches a URL (following redirects) and passes when the body contains a "
    "string. It does not run on the local cluster.",
    category=TemplateCategory.KUBERHEALTHY,
    image="kuberhealthy/http-content-check:v1.5.0",
    runs_on_local_cluster=False,
    run_interval="2m",
    timeout="1m",
    docs_url=f"{_DOCS}http-content-check",
    settings=(
        Setting(
            name="TARGET_URL",
            label="URL",
            kind=SettingKind.URL,
            required=True,
            help="The URL whose body is searched.",
        ),
        Setting(
            name="TARGET_STRING",
            label="Expected text",
            kind=SettingKind.STRING,
            required=True,
            help="The check passes when the body contains this string.",
        ),
        Setting(
            name="TIMEOUT_DURATION",
            label="Request timeout",
            kind=SettingKind.DURATION,
            default="30s",
            help="The time limit of the request.",
        ),
    ),
)

NETWORK_CONNECTION_CHECK = CheckTemplate(
    id="kh-network-connection-check",
    title="Kuberhealthy network-connection-check",
    description="Connects to a tcp:// or udp:// target and passes when it connects (or, if the "
    f"target should be unreachable, when it does not). {_ON_LOCAL} (TCP only)",
    category=TemplateCategory.KUBERHEALTHY,
    image="kuberhealthy/network-connection-check:v0.2.0",
    runs_on_local_cluster=True,
    run_interval="30m",
    timeout="10m",
    docs_url=f"{_DOCS}network-connection-check",
    settings=(
        Setting(
            name="CONNECTION_TARGET",
            label="Target",
            kind=SettingKind.ADDRESS,
            choices=("tcp", "udp"),
            required=True,
            help="tcp://host:port or udp://host:port.",
        ),
        Setting(
            name="CONNECTION_TIMEOUT",
            label="Connection timeout",
            kind=SettingKind.DURATION,
            default="20s",
            help="How long to wait for the connection.",
        ),
        Setting(
            name="CONNECTION_TARGET_UNREACHABLE",
            label="Target should be unreachable",
            kind=SettingKind.BOOL,
            default="false",
            help="Expect the connection to fail, e.g. to a metadata endpoint that must be blocked.",
        ),
    ),
)

SSL_EXPIRY_CHECK = CheckTemplate(
    id="kh-ssl-expiry-check",
    title="Kuberhealthy ssl-expiry-check",
    description="Fails when a host's TLS certificate has expired or expires within the given "
    f"days. {_ON_LOCAL}",
    category=TemplateCategory.KUBERHEALTHY,
    image="kuberhealthy/ssl-expiry-check:v3.2.0",
    runs_on_local_cluster=True,
    run_interval="24h",
    timeout="15m",
    docs_url=f"{_DOCS}ssl-expiry-check",
    settings=(
        Setting(
            name="DOMAIN_NAME",
            label="Host",
            kind=SettingKind.HOST,
            required=True,
            help="The host whose certificate is checked.",
        ),
        Setting(name="PORT", label="Port", kind=SettingKind.PORT, default="443", help="TLS port."),
        Setting(
            name="DAYS",
            label="Minimum days left",
            kind=SettingKind.INT,
            default="60",
            minimum=0,
            help="Fail when the certificate expires in fewer days.",
        ),
        Setting(
            name="INSECURE",
            label="Skip the TLS handshake check",
            kind=SettingKind.BOOL,
            default="false",
            help="true for self-signed certificates: only the expiry is checked.",
        ),
    ),
)

DNS_RESOLUTION_CHECK = CheckTemplate(
    id="kh-dns-resolution-check",
    title="Kuberhealthy dns-resolution-check (DNS status)",
    description=f"Resolves a host name, inside or outside the cluster. {_ON_LOCAL}",
    category=TemplateCategory.KUBERHEALTHY,
    image="kuberhealthy/dns-resolution-check:v1.5.0",
    runs_on_local_cluster=True,
    run_interval="2m",
    timeout="1m30s",
    docs_url=f"{_DOCS}dns-resolution-check",
    field_env=(FieldEnv(name="NODE_NAME", field_path="spec.nodeName"),),
    settings=(
        Setting(
            name="HOSTNAME",
            label="Host name",
            kind=SettingKind.HOST,
            required=True,
            default="kubernetes.default",
            help="The name to resolve: kubernetes.default tests cluster DNS, an outside name "
            "such as google.com tests external resolution.",
        ),
        Setting(
            name="DNS_NODE_SELECTOR",
            label="DNS pods selector",
            kind=SettingKind.STRING,
            help="A label selector of the DNS pods to query directly (e.g. k8s-app=kube-dns); "
            "empty: the cluster's DNS service. Ignored on the local cluster.",
        ),
        Setting(
            name="NAMESPACE",
            label="DNS pods namespace",
            kind=SettingKind.STRING,
            help="The namespace of those DNS pods, e.g. kube-system.",
        ),
    ),
)

DEPLOYMENT_CHECK = CheckTemplate(
    id="kh-deployment-check",
    title="Kuberhealthy deployment-check",
    description="Creates a deployment and a service, waits for a 200 OK through the service, "
    "optionally rolls the deployment to another image, then tears both down. "
    + _rbac("deployment-sa", "manage deployments and services", "deployment-check.yaml"),
    category=TemplateCategory.KUBERHEALTHY,
    image="kuberhealthy/deployment-check:v1.9.1",
    runs_on_local_cluster=False,
    run_interval="30m",
    timeout="15m",
    container_name="deployment",
    service_account_name="deployment-sa",
    docs_url=f"{_DOCS}deployment-check",
    settings=(
        Setting(
            name="CHECK_IMAGE",
            label="Image",
            kind=SettingKind.STRING,
            default="nginxinc/nginx-unprivileged:1.17.8",
            help="The image the deployment starts with; it must answer HTTP on the port below.",
        ),
        Setting(
            name="CHECK_DEPLOYMENT_REPLICAS",
            label="Replicas",
            kind=SettingKind.INT,
            default="2",
            minimum=1,
            help="How many replicas the deployment brings up.",
        ),
        Setting(
            name="CHECK_CONTAINER_PORT",
            label="Container port",
            kind=SettingKind.PORT,
            default="8080",
            help="The port the image listens on.",
        ),
        Setting(
            name="CHECK_DEPLOYMENT_ROLLING_UPDATE",
            label="Rolling update",
            kind=SettingKind.BOOL,
            default="false",
            help="Also roll the deployment to the second image and check it again.",
        ),
        Setting(
            name="CHECK_IMAGE_ROLL_TO",
            label="Image to roll to",
            kind=SettingKind.STRING,
            default="nginxinc/nginx-unprivileged:1.17.9",
            help="The image of the rolling update.",
        ),
        _node_selector("the deployment's pods"),
        _tolerations("the deployment's pods"),
    ),
)

DAEMONSET_CHECK = CheckTemplate(
    id="kh-daemonset-check",
    title="Kuberhealthy daemonset-check",
    description="Deploys a daemonset of pause containers, waits until every node runs one, "
    "then removes it. "
    + _rbac("daemonset-khcheck", "manage daemonsets and pods", "daemonset-check.yaml"),
    category=TemplateCategory.KUBERHEALTHY,
    image="kuberhealthy/daemonset-check:v3.3.0",
    runs_on_local_cluster=False,
    run_interval="15m",
    timeout="12m",
    service_account_name="daemonset-khcheck",
    docs_url=f"{_DOCS}daemonset-check",
    settings=(
        Setting(
            name="POD_NAMESPACE",
            label="Namespace",
            kind=SettingKind.STRING,
            empty_from_field=_OWN_NAMESPACE,
            help="Where the test daemonset is made; empty: the check's namespace.",
        ),
        Setting(
            name="PAUSE_CONTAINER_IMAGE",
            label="Pause image",
            kind=SettingKind.STRING,
            default="gcr.io/google-containers/pause:3.1",
            help="The image each daemonset pod runs.",
        ),
        Setting(
            name="CHECK_DAEMONSET_NAME",
            label="Daemonset name",
            kind=SettingKind.STRING,
            default="daemonset",
            help="The name of the test daemonset.",
        ),
        _node_selector("the daemonset"),
        _tolerations("the daemonset"),
        Setting(
            name="ALLOWED_TAINTS",
            label="Allowed taints",
            kind=SettingKind.STRING,
            default="node.kubernetes.io/unschedulable:NoSchedule",
            help="Taints whose nodes may lack a daemonset pod.",
        ),
        Setting(
            name="DAEMONSET_PRIORITY_CLASS_NAME",
            label="Priority class",
            kind=SettingKind.STRING,
            help="The priority class of the daemonset's pods; empty: none.",
        ),
        Setting(
            name="SHUTDOWN_GRACE_PERIOD",
            label="Shutdown grace period",
            kind=SettingKind.DURATION,
            default="1m",
            help="How long cleanup may take after an interrupt.",
        ),
    ),
)

POD_RESTARTS_CHECK = CheckTemplate(
    id="kh-pod-restarts-check",
    title="Kuberhealthy pod-restarts-check",
    description="Fails when pods in a namespace restart too often (Warning BackOff events). "
    + _rbac("pod-restart-sa", "read pods and their events", "pod-restarts-check.yaml"),
    category=TemplateCategory.KUBERHEALTHY,
    image="kuberhealthy/pod-restarts-check:v2.5.0",
    runs_on_local_cluster=False,
    run_interval="10m",
    timeout="5m",
    service_account_name="pod-restart-sa",
    docs_url=f"{_DOCS}pod-restarts-check",
    settings=(
        Setting(
            name="POD_NAMESPACE",
            label="Namespace",
            kind=SettingKind.STRING,
            empty_from_field=_OWN_NAMESPACE,
            help="The namespace whose pods are watched; empty: the check's namespace.",
        ),
        Setting(
            name="MAX_FAILURES_ALLOWED",
            label="Restarts allowed",
            kind=SettingKind.INT,
            default="10",
            minimum=0,
            help="Fail when a pod's BackOff events exceed this count.",
        ),
    ),
)

POD_STATUS_CHECK = CheckTemplate(
    id="kh-pod-status-check",
    title="Kuberhealthy pod-status-check",
    description="Fails when pods older than the skip duration are Pending, Failed or Unknown. "
    "Its pod needs a ServiceAccount allowed to list pods in the target namespace (give the "
    "check's pod spec a serviceAccountName). It does not run on the local cluster.",
    category=TemplateCategory.KUBERHEALTHY,
    image="kuberhealthy/pod-status-check:v1.3.0",
    runs_on_local_cluster=False,
    run_interval="15m",
    timeout="10m",
    docs_url=f"{_DOCS}pod-status-check",
    settings=(
        Setting(
            name="TARGET_NAMESPACE",
            label="Namespace",
            kind=SettingKind.STRING,
            empty_from_field=_OWN_NAMESPACE,
            help="The namespace whose pods are checked; empty: the check's namespace.",
        ),
        Setting(
            name="SKIP_DURATION",
            label="Skip pods younger than",
            kind=SettingKind.DURATION,
            default="10m",
            help="Pods are ignored for this long after they are created.",
        ),
    ),
)

RESOURCE_QUOTA_CHECK = CheckTemplate(
    id="kh-resource-quota-check",
    title="Kuberhealthy resource-quota-check",
    description="Fails when a namespace uses more than a share of its CPU or memory quota. "
    + _rbac(
        "kuberhealthy-resource-quota",
        "list namespaces and resource quotas cluster-wide (a ClusterRole)",
        "resource-quota.yaml",
    ),
    category=TemplateCategory.KUBERHEALTHY,
    image="kuberhealthy/resource-quota-check:v1.3.0",
    runs_on_local_cluster=False,
    run_interval="30m",
    timeout="5m",
    container_name="resource-quota",
    service_account_name="kuberhealthy-resource-quota",
    docs_url=f"{_DOCS}resource-quota-check",
    settings=(
        Setting(
            name="THRESHOLD",
            label="Threshold",
            kind=SettingKind.NUMBER,
            default="0.9",
            minimum=0,
            maximum=1,
            help="The share of a quota (0 to 1) above which a namespace fails.",
        ),
        Setting(
            name="WHITELIST",
            label="Namespaces to check",
            kind=SettingKind.STRING,
            default="kube-system,kuberhealthy",
            help="Comma-separated namespaces to look at.",
        ),
        Setting(
            name="BLACKLIST",
            label="Namespaces to skip",
            kind=SettingKind.STRING,
            default="default",
            help="Comma-separated namespaces to ignore.",
        ),
    ),
)

TEST_CHECK = CheckTemplate(
    id="kh-test-check",
    title="Kuberhealthy test-check",
    description="Waits, then reports success or, if asked, failure: for trying out alerting "
    "and the reporting path. It does not run on the local cluster.",
    category=TemplateCategory.KUBERHEALTHY,
    image="kuberhealthy/test-check:v1.4.0",
    runs_on_local_cluster=False,
    run_interval="1m",
    timeout="30s",
    docs_url=f"{_DOCS}test-check",
    settings=(
        Setting(
            name="REPORT_FAILURE",
            label="Report a failure",
            kind=SettingKind.BOOL,
            default="false",
            help="true makes every run fail.",
        ),
        Setting(
            name="REPORT_DELAY",
            label="Delay before reporting",
            kind=SettingKind.DURATION,
            default="5s",
            help="How long the check waits before it reports.",
        ),
    ),
)

KUBERHEALTHY_TEMPLATES = (
    HTTP_CHECK,
    HTTP_CONTENT_CHECK,
    NETWORK_CONNECTION_CHECK,
    SSL_EXPIRY_CHECK,
    DNS_RESOLUTION_CHECK,
    DEPLOYMENT_CHECK,
    DAEMONSET_CHECK,
    POD_RESTARTS_CHECK,
    POD_STATUS_CHECK,
    RESOURCE_QUOTA_CHECK,
    TEST_CHECK,
)
