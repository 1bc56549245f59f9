"""Stack policies: checks that need more than one resource.

- every MCP server workload is isolated by NetworkPolicy in both directions (MANDATORY);
- every MCP gateway runs under a ServiceAccount of its own (MANDATORY);
- external host names in a server's permission profile need Cilium (ADVISORY); the
  profile may be inline, a PermissionProfile component or a ConfigMap of the stack. The
  profile is read and its hosts sorted by the components' own code
  (``ome_mcp_components.models``, ``profiles``, ``hosts``), so the pack flags exactly the
  hosts the components leave unreachable and warn about.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import EnforcementLevel, Severity, StackValidationPolicy

from ome_mcp_components.models import PermissionProfileSpec
from ome_mcp_components.plan import egress
from ome_mcp_components.vocabulary.keys import PROFILE_KEY
from ome_mcp_components.vocabulary.labels import COMPONENT_LABEL
from ome_mcp_components.vocabulary.labels import GATEWAY as GATEWAY_COMPONENT
from ome_mcp_components.vocabulary.labels import SERVER as SERVER_COMPONENT
from ome_mcp_components.vocabulary.tokens import (
    PERMISSION_PROFILE_TYPE,
    SERVER_TYPES,
    kubernetes_kind,
)
from ome_mcp_components.vocabulary.wire import plain
from ome_mcp_policy._base import (
    StackFinding,
    Workload,
    as_list,
    as_map,
    dig,
    stack_policy,
    workload_of,
)
from ome_mcp_policy.components import title

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY


def _namespace(props: Mapping[str, Any]) -> str:
    return str(dig(props, "metadata", "namespace") or "default")


def _workloads(resources: Sequence[Any], component: str) -> Iterator[tuple[Any, Workload]]:
    for r in resources:
        workload = workload_of(r.resource_type, r.props)
        if workload is not None and workload.pod_labels.get(COMPONENT_LABEL) == component:
            yield r, workload


def selects(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """Whether a Kubernetes label selector (matchLabels, matchExpressions) selects labels."""
    for key, value in as_map(selector.get("matchLabels")).items():
        if labels.get(key) != value:
            return False
    for expression in as_list(selector.get("matchExpressions")):
        requirement = as_map(expression)
        label, op = str(requirement.get("key")), requirement.get("operator")
        values = [str(v) for v in as_list(requirement.get("values"))]
        present = label in labels
        if op == "In" and not (present and str(labels[label]) in values):
            return False
        if op == "NotIn" and present and str(labels[label]) in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def _directions(spec: Mapping[str, Any]) -> set[str]:
    """The directions a NetworkPolicy isolates (policyTypes, or the API's default)."""
    types = as_list(spec.get("policyTypes"))
    if types:
        return {str(t) for t in types}
    return {"Ingress", "Egress"} if "egress" in spec else {"Ingress"}


def _network_policy(resources: Sequence[Any], _: Mapping[str, Any]) -> Iterator[StackFinding]:
    policies = _network_policy_index(resources)
    for r, workload in _workloads(resources, SERVER_COMPONENT):
        candidates = list(policies.get((workload.namespace, None, None), ()))
        for label, value in workload.pod_labels.items():
            if isinstance(value, str):
                candidates += policies.get((workload.namespace, str(label), value), ())
        covered: set[str] = set()
        for selector, directions in candidates:
            if selects(selector, workload.pod_labels):
                covered |= directions
        missing = sorted({"Ingress", "Egress"} - covered)
        if missing:
            yield StackFinding(r.urn, f"{workload.title}: an MCP server workload whose pods no "
                               f"NetworkPolicy isolates for {' and '.join(missing)}.")


PolicyKey = tuple[str, str | None, str | None]


def _network_policy_index(resources: Sequence[Any]
                          ) -> dict[PolicyKey, list[tuple[Mapping[str, Any], set[str]]]]:
    """Each NetworkPolicy's pod selector and directions, read once and filed under its
    namespace and one of its ``matchLabels`` (``(namespace, None, None)`` when it has
    none): a pod can only be selected by the policies filed under one of its own labels
    or under none, so a stack of many servers is not checked pod by policy."""
    index: dict[PolicyKey, list[tuple[Mapping[str, Any], set[str]]]] = {}
    for r in resources:
        if kubernetes_kind(r.resource_type) != "NetworkPolicy":
            continue
        spec = as_map(r.props.get("spec"))
        selector = as_map(spec.get("podSelector"))
        match_labels = as_map(selector.get("matchLabels"))
        key: PolicyKey = (_namespace(r.props), None, None)
        for label in sorted(match_labels, key=str):
            if isinstance(match_labels[label], str):
                key = (key[0], str(label), match_labels[label])
                break
        index.setdefault(key, []).append((selector, _directions(spec)))
    return index


def _service_account(workload: Workload) -> str:
    spec = workload.pod_spec
    return str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")


def _gateway_account(resources: Sequence[Any], _: Mapping[str, Any]) -> Iterator[StackFinding]:
    server_accounts = {(w.namespace, _service_account(w)): w
                       for _, w in _workloads(resources, SERVER_COMPONENT)}
    for r, workload in _workloads(resources, GATEWAY_COMPONENT):
        account = _service_account(workload)
        if account == "default":
            yield StackFinding(r.urn, f"{workload.title}: the MCP gateway runs as the "
                               f"namespace's default ServiceAccount.")
        elif (workload.namespace, account) in server_accounts:
            server = server_accounts[(workload.namespace, account)]
            yield StackFinding(r.urn, f"{workload.title}: the MCP gateway shares "
                               f"ServiceAccount '{account}' with {server.title}.")


def _same_place(props: Mapping[str, Any], name: str, namespace: str | None) -> bool:
    metadata = as_map(props.get("metadata"))
    if metadata.get("name") != name:
        return False
    return namespace is None or metadata.get("namespace") in (None, namespace)


def _profile(server: Any, resources: Sequence[Any]) -> Mapping[str, Any] | None:
    """The permission profile a server component runs with, when the stack holds it."""
    reference = as_map(dig(server.props, "spec", "permissionProfile"))
    if reference.get("type") == "inline":
        return as_map(reference.get("inline"))
    if reference.get("type") != "configMap":
        return None  # a builtin profile lists no hosts
    name = str(dig(reference, "configMap", "name"))
    key = str(dig(reference, "configMap", "key") or PROFILE_KEY)
    namespace = dig(server.props, "metadata", "namespace")
    for r in resources:
        if r.resource_type == PERMISSION_PROFILE_TYPE and _same_place(r.props, name, namespace):
            return as_map(r.props.get("spec"))
    for r in resources:
        if kubernetes_kind(r.resource_type) == "ConfigMap" and _same_place(
                r.props, name, namespace):
            try:
                return as_map(json.loads(str(dig(r.props, "data", key))))
            except ValueError:
                return None
    return None


def unenforced_hosts(profile: Mapping[str, Any], namespace: str) -> list[str]:
    """The ``allowHost`` entries of ``profile`` that only Cilium can allow, as the
    components find them (``plan.egress.cilium_only_hosts``); none for a profile the
    components would refuse (the deployment fails on it anyway)."""
    try:
        spec = PermissionProfileSpec.model_validate(plain(profile))
    except ValueError:  # pydantic's ValidationError
        return []
    return egress.cilium_only_hosts(spec, namespace)


def _host_names(resources: Sequence[Any], _: Mapping[str, Any]) -> Iterator[StackFinding]:
    for r in resources:
        if r.resource_type not in SERVER_TYPES:
            continue
        if r.props.get("networkEnforcement") == "cilium":
            continue
        profile = _profile(r, resources)
        names = unenforced_hosts(profile, _namespace(r.props)) if profile else []
        if names:
            yield StackFinding(r.urn, f"{title(r.resource_type, r.props)}: allowHost "
                               f"{names} cannot be allowed by NetworkPolicy "
                               f"(networkEnforcement is not cilium), so the server cannot "
                               f"reach them.")


POLICIES: list[StackValidationPolicy] = [
    stack_policy(
        name="mcp-server-network-policy",
        description="Every MCP server workload (pods labelled app.kubernetes.io/component: "
        "mcp-server) must be selected by NetworkPolicy for both Ingress and Egress. "
        "Without ingress isolation anything can reach the unauthenticated server port "
        "around the gateway; without egress isolation the server can reach anything.",
        severity=Severity.CRITICAL, level=MANDATORY,
        remediation="Add a NetworkPolicy in the workload's namespace whose podSelector "
        "matches its pods, with policyTypes [Ingress, Egress] (the components render "
        "'<name>-server').",
        check=_network_policy,
    ),
    stack_policy(
        name="mcp-gateway-own-service-account",
        description="Every MCP gateway workload (pods labelled app.kubernetes.io/component: "
        "mcp-gateway) must run under a ServiceAccount of its own, neither 'default' nor "
        "the MCP server's. The gateway's token and RBAC (pods/attach for stdio) must not "
        "reach the server, and the namespace's default account must not gain them.",
        severity=Severity.HIGH, level=MANDATORY,
        remediation="Create a ServiceAccount for the gateway (the components use "
        "'<name>-gateway') and set spec.template.spec.serviceAccountName to it.",
        check=_gateway_account,
    ),
    stack_policy(
        name="profile-host-names-need-cilium",
        description="Host names outside the cluster (and the API server's names) in a "
        "permission profile's allowHost can only be enforced with "
        "network_enforcement='cilium' (toFQDNs, kube-apiserver entity); plain NetworkPolicy "
        "selects only IPs, CIDRs and in-cluster Services. Under 'kubernetes' the server "
        "cannot reach those hosts, so the profile does not say what runs, and the usual "
        "workaround is to open egress wider than the profile means.",
        severity=Severity.MEDIUM, level=ADVISORY,
        remediation="Use network_enforcement='cilium', or list IP addresses/CIDRs instead "
        "of those host names.",
        check=_host_names,
    ),
]
