"""Every warning a server raises: settings that are valid but will not do what they seem.

They are warnings, not errors: the deployment goes ahead, and the component logs each
(``pulumi.log.warn``) so none is silent. Each is computed once, as soon as what it
depends on is known (``resolve.settle``): the spec and options at plan time, the
profile's and the auth settings' as soon as they are resolved, which may be after a
read. Authentication and authorization are checked against the gateway's model in
``auth.checks``; this module prefixes those with the server they concern.
"""

from __future__ import annotations

from ome_mcp_components.plan import auth
from ome_mcp_components.plan.context import PENDING, Known, ServerShape
from ome_mcp_components.plan.egress import unenforced_hosts


def plan_warnings(shape: ServerShape) -> list[str]:
    """The warnings the arguments alone raise."""
    return replica_warnings(shape) + scrape_warnings(shape)


def settled_warnings(shape: ServerShape, before: Known, after: Known) -> list[str]:
    """The warnings of the settings ``after`` knows and ``before`` did not: the profile's
    once it is known, the auth settings' once both OIDC and authz are."""
    warnings: list[str] = []
    if before.profile is PENDING and after.profile is not PENDING:
        warnings += profile_warnings(shape, after)
    auth_before = before.oidc is not PENDING and before.authz is not PENDING
    if not auth_before and after.oidc is not PENDING and after.authz is not PENDING:
        warnings += auth_warnings(shape, after)
    return warnings


def replica_warnings(shape: ServerShape) -> list[str]:
    """``replicas`` above one on a server whose transport defaulted to stdio is ignored."""
    spec = shape.spec
    if spec.is_http or spec.replicas <= spec.effective_replicas:
        return []
    return [
        f"{shape.resource}: spec.replicas {spec.replicas} is ignored: the transport defaults "
        f"to stdio, which runs exactly one replica; set transport to streamable-http or sse "
        f"to scale"
    ]


def scrape_warnings(shape: ServerShape) -> list[str]:
    """A ServiceMonitor for an MCPServer's gateway whose NetworkPolicy admits no scraper
    from outside its namespace."""
    metrics = shape.telemetry.metrics
    if shape.kind != "MCPServer" or not metrics.service_monitor.enabled \
            or metrics.scraper is not None:
        return []
    return [
        f"{shape.resource}: telemetry.metrics.service_monitor is on, but the gateway's "
        f"NetworkPolicy admits only pods of namespace {shape.namespace!r}: a Prometheus "
        f"elsewhere cannot scrape it. Set telemetry.metrics.scrape_namespace_selector "
        f"(and scrape_pod_selector) to where Prometheus runs"
    ]


def profile_warnings(shape: ServerShape, known: Known) -> list[str]:
    """The loud warning for profile hosts a Kubernetes NetworkPolicy cannot enforce."""
    assert known.profile is not PENDING
    unenforced = unenforced_hosts(shape, known.profile)
    if not unenforced:
        return []
    return [
        f"{shape.resource}: the permission profile allows host names that a "
        f"Kubernetes NetworkPolicy cannot enforce: {', '.join(unenforced)}. The server "
        "cannot reach them. Deploy with network_enforcement='cilium' (CiliumNetworkPolicy "
        "toFQDNs and the kube-apiserver entity), or list their IP addresses or CIDRs in "
        "allowHost."
    ]


def auth_warnings(shape: ServerShape, known: Known) -> list[str]:
    """Authentication and authorization settings that will not do what they seem to
    (policies that can never match an MCP request, missing audience, ...)."""
    assert known.oidc is not PENDING
    assert known.authz is not PENDING
    return [f"{shape.resource}: {warning}"
            for warning in auth.auth_warnings(shape.spec, oidc=known.oidc, authz=known.authz)]
