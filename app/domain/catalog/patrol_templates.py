"""Patrol's built-in checkers (app/checkers), run from Patrol's own image."""

from __future__ import annotations

from app.domain.catalog.model import CheckTemplate, Setting, SettingKind, TemplateCategory

# The image deploy/Dockerfile builds (deploy/compose.yaml runs it under this name); it is not
# published, so a real cluster needs it pushed to a registry it can pull from.
PATROL_IMAGE = "patrol:0.1.0"
_ON_A_REAL_CLUSTER = (
    f"On a real cluster, push Patrol's image (deploy/Dockerfile, {PATROL_IMAGE}) to a registry "
    "the cluster pulls from and set the check's image to it."
)


def _checker(module: str) -> tuple[str, ...]:
    return ("python", "-m", f"app.checkers.{module}")


HTTP = CheckTemplate(
    id="patrol-http",
    title="HTTP request",
    description="Sends HTTP requests to a URL and passes when enough of them get the expected "
    f"status code. Reads Kuberhealthy http-check's settings. {_ON_A_REAL_CLUSTER}",
    category=TemplateCategory.PATROL,
    image=PATROL_IMAGE,
    command=_checker("http"),
    runs_on_local_cluster=True,
    run_interval="1m",
    timeout="30s",
    settings=(
        Setting(
            name="CHECK_URL",
            label="URL",
            kind=SettingKind.URL,
            required=True,
            help="The http:// or https:// URL to request. Redirects are followed.",
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
            help="How many requests each run sends.",
        ),
        Setting(
            name="SECONDS",
            label="Pause between requests",
            kind=SettingKind.DURATION,
            default="0s",
            help="A Go duration such as 500ms or 2s.",
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

TCP = CheckTemplate(
    id="patrol-tcp",
    title="TCP connection",
    description="Opens a TCP connection to host:port and passes when it connects (or, if the "
    "target should be unreachable, when it does not). Reads Kuberhealthy "
    f"network-connection-check's settings. {_ON_A_REAL_CLUSTER}",
    category=TemplateCategory.PATROL,
    image=PATROL_IMAGE,
    command=_checker("tcp"),
    runs_on_local_cluster=True,
    run_interval="1m",
    timeout="30s",
    settings=(
        Setting(
            name="CONNECTION_TARGET",
            label="Target",
            kind=SettingKind.ADDRESS,
            required=True,
            help="host:port, or [IPv6 address]:port.",
        ),
        Setting(
            name="CONNECTION_TIMEOUT",
            label="Connection timeout",
            kind=SettingKind.DURATION,
            default="5s",
            help="How long to wait for the connection; shortened to fit the run's timeout.",
        ),
        Setting(
            name="CONNECTION_TARGET_UNREACHABLE",
            label="Target should be unreachable",
            kind=SettingKind.BOOL,
            default="false",
            help="Pass only when the connection fails, e.g. to prove a firewall rule.",
        ),
    ),
)

DNS = CheckTemplate(
    id="patrol-dns",
    title="DNS resolution",
    description="Resolves a host name through the pod's own resolver and passes when it gets "
    "addresses (all the expected ones, if given). Reads Kuberhealthy dns-resolution-check's "
    f"HOSTNAME. {_ON_A_REAL_CLUSTER}",
    category=TemplateCategory.PATROL,
    image=PATROL_IMAGE,
    command=_checker("dns"),
    runs_on_local_cluster=True,
    run_interval="1m",
    timeout="30s",
    settings=(
        Setting(
            name="HOSTNAME",
            label="Host name",
            kind=SettingKind.HOST,
            required=True,
            default="kubernetes.default",
            help="The name to resolve. Inside a cluster, kubernetes.default tests cluster DNS.",
        ),
        Setting(
            name="DNS_RECORD_TYPE",
            label="Record type",
            kind=SettingKind.ENUM,
            choices=("A", "AAAA"),
            help="Only IPv4 (A) or IPv6 (AAAA) answers; empty accepts either.",
        ),
        Setting(
            name="EXPECTED_ADDRESSES",
            label="Expected addresses",
            kind=SettingKind.STRING,
            help="Comma-separated IP addresses that must all be among the answers; empty: any.",
        ),
    ),
)

TLS = CheckTemplate(
    id="patrol-tls",
    title="TLS certificate expiry",
    description="Connects over TLS, verifies the certificate and fails when it expires within "
    f"the given days. Reads Kuberhealthy ssl-expiry-check's settings. {_ON_A_REAL_CLUSTER}",
    category=TemplateCategory.PATROL,
    image=PATROL_IMAGE,
    command=_checker("tls"),
    runs_on_local_cluster=True,
    run_interval="24h",
    timeout="1m",
    settings=(
        Setting(
            name="DOMAIN_NAME",
            label="Host",
            kind=SettingKind.HOST,
            required=True,
            help="The host to connect to.",
        ),
        Setting(
            name="PORT",
            label="Port",
            kind=SettingKind.PORT,
            default="443",
            help="The TLS port.",
        ),
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
            label="Skip verification",
            kind=SettingKind.BOOL,
            default="false",
            help="Skip chain and host name verification (self-signed certificates); expiry "
            "is still checked.",
        ),
        Setting(
            name="SERVER_NAME",
            label="Server name",
            kind=SettingKind.HOST,
            help="The name sent as SNI and verified, when it differs from the host.",
        ),
    ),
)

PATROL_TEMPLATES = (HTTP, TCP, DNS, TLS)
