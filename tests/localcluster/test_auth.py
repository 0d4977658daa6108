from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from app.localcluster import LocalCluster, ThreadedLocalCluster, api_client
from app.localcluster.faults import FaultDecision
from tests.localcluster.conftest import pod_manifest

UNAUTHORIZED = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": "Unauthorized",
    "reason": "Unauthorized",
    "code": 401,
}

BAD_CREDENTIALS: dict[str, Callable[[str], dict[str, str]]] = {
    "no credentials": lambda token: {},
    "a wrong token": lambda token: {"Authorization": "Bearer not-the-token"},
    "a token with a suffix": lambda token: {"Authorization": f"Bearer {token}x"},
    "the token without its scheme": lambda token: {"Authorization": token},
    "the token as basic auth": lambda token: {"Authorization": f"Basic {token}"},
    "a bearer without a token": lambda token: {"Authorization": "Bearer"},
}

REQUESTS: dict[str, httpx.Request] = {
    "a list": httpx.Request("GET", "/api/v1/namespaces/default/pods"),
    "a create": httpx.Request(
        "POST", "/api/v1/namespaces/default/pods", json=pod_manifest("x", ["true"])
    ),
    "a watch": httpx.Request(
        "GET", "/api/v1/pods", params={"watch": "true", "timeoutSeconds": "5"}
    ),
    "a delete": httpx.Request("DELETE", "/api/v1/namespaces/default/pods/x"),
    "discovery": httpx.Request("GET", "/api"),
    "group discovery": httpx.Request("GET", "/apis"),
    "the fault endpoint": httpx.Request("POST", "/_local/faults", json={"action": "clear"}),
    "an unknown path": httpx.Request("GET", "/openapi/v2"),
}


@pytest.mark.parametrize("credentials", BAD_CREDENTIALS.values(), ids=BAD_CREDENTIALS.keys())
@pytest.mark.parametrize("request_", REQUESTS.values(), ids=REQUESTS.keys())
def test_requests_without_the_token_get_the_apiservers_401_unauthorized_status(
    cluster: ThreadedLocalCluster,
    anonymous: httpx.Client,
    request_: httpx.Request,
    credentials: Callable[[str], dict[str, str]],
) -> None:
    response = anonymous.request(
        request_.method,
        str(request_.url),
        headers=credentials(cluster.token),
        content=request_.content,
    )

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.json() == UNAUTHORIZED


def test_a_refused_create_creates_nothing(
    anonymous: httpx.Client, core: client.CoreV1Api, namespace: str
) -> None:
    response = anonymous.post(
        f"/api/v1/namespaces/{namespace}/pods", json=pod_manifest("intruder", ["true"])
    )

    assert response.status_code == 401
    assert core.list_namespaced_pod(namespace).items == []


def test_a_refused_fault_request_injects_no_fault(
    cluster: ThreadedLocalCluster, anonymous: httpx.Client, http: httpx.Client
) -> None:
    refused = anonymous.post(
        "/_local/faults", json={"action": "fail_requests", "count": 1, "status": 500}
    )

    assert refused.status_code == 401
    assert http.get("/api/v1/namespaces").status_code == 200
    assert cluster.faults.take("/api/v1/namespaces") == FaultDecision()


def test_unauthenticated_requests_do_not_use_up_an_injected_fault(
    cluster: ThreadedLocalCluster, anonymous: httpx.Client, http: httpx.Client
) -> None:
    cluster.faults.fail_requests(count=1, status=503)

    refused = anonymous.get("/api/v1/namespaces")
    health = anonymous.get("/healthz")
    faulted = http.get("/api/v1/namespaces")

    assert refused.status_code == 401
    assert health.status_code == 200
    assert faulted.status_code == 503
    assert http.get("/api/v1/namespaces").status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/livez", "/readyz", "/version"])
def test_health_and_version_stay_open_to_anonymous_callers(
    anonymous: httpx.Client, path: str
) -> None:
    response = anonymous.get(path)

    assert response.status_code == 200


def test_the_bearer_scheme_is_case_insensitive_as_in_the_apiserver(
    cluster: ThreadedLocalCluster, anonymous: httpx.Client
) -> None:
    response = anonymous.get(
        "/api/v1/namespaces", headers={"Authorization": f"bearer {cluster.token}"}
    )

    assert response.status_code == 200


def test_the_official_client_with_a_wrong_token_gets_401(cluster: ThreadedLocalCluster) -> None:
    with api_client(cluster.url, "not-the-token") as api, pytest.raises(ApiException) as raised:
        client.CoreV1Api(api).list_namespace()

    assert raised.value.status == 401


def test_every_cluster_gets_its_own_random_token_unless_given_one() -> None:
    first, second = LocalCluster(), LocalCluster()

    assert first.token != second.token
    assert len(first.token) >= 43
    assert LocalCluster(token="chosen-token").token == "chosen-token"


@pytest.mark.parametrize("token", ["", "has space", "line\nbreak", "caf\u00e9"])
def test_a_token_no_client_could_send_is_refused(token: str) -> None:
    with pytest.raises(ValueError, match="token"):
        LocalCluster(token=token)
