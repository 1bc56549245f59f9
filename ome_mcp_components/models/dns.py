"""Where cluster DNS runs: the ``dns`` component option, the peer of every DNS egress rule.

The default is kube-dns/CoreDNS as most clusters run it: pods labelled
``k8s-app: kube-dns`` in namespace ``kube-system``, on port 53 (UDP and TCP). Clusters
that differ say so with ``dns=``:

``namespace_selector``, ``pod_selector``
    Label selectors of the DNS pods (both: those pods in those namespaces; a pod
    selector alone: pods of the server's own namespace, as NetworkPolicy reads it).
    OpenShift: ``{"namespace_selector": {"matchLabels": {"kubernetes.io/metadata.name":
    "openshift-dns"}}, "pod_selector": {"matchLabels":
    {"dns.operator.openshift.io/daemonset-dns": "default"}}, "ports": [5353]}``.
``cidrs``
    Addresses of DNS servers that are not pods, such as NodeLocal DNSCache's
    link-local ``169.254.20.10/32``. The metadata address is excepted from any CIDR.
``ports``
    The DNS servers' ports as the *pods* listen (NetworkPolicy applies after a
    Service's port translation): default ``[53]``, each allowed over UDP and TCP.

Given, it replaces the default entirely (nothing of kube-dns is kept), and it needs at
least one selector or CIDR. It applies wherever a rule allows DNS: the server's egress
(when its profile allows any network), the gateway's, and the DNS rule of the
CiliumNetworkPolicies (``toEndpoints``, or ``toCIDR`` for ``cidrs``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ome_mcp_components.errors import Issue, SpecValidationError
from ome_mcp_components.models import hosts, parse_model
from ome_mcp_components.models.base import Port
from ome_mcp_components.models.selectors import LabelSelector, canonical
from ome_mcp_components.vocabulary import defaults

#: The label every namespace carries with its own name (Kubernetes >= 1.22).
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
#: kube-dns (and CoreDNS, which keeps its label): namespace and pod labels.
KUBE_DNS_NAMESPACE = "kube-system"
KUBE_DNS_POD_LABELS = {"k8s-app": "kube-dns"}


class DNSOptions(BaseModel):
    """The DNS servers every DNS egress rule allows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    namespace_selector: LabelSelector | None = Field(
        None, description="Namespaces of the DNS pods.")
    pod_selector: LabelSelector | None = Field(None, description="Labels of the DNS pods.")
    cidrs: list[str] = Field(default_factory=list,
                             description="Addresses of DNS servers outside pods (IP or CIDR).")
    ports: list[Port] = Field(default_factory=lambda: [defaults.DNS_PORT],
                              description="Ports the DNS servers listen on (UDP and TCP).")

    @field_validator("cidrs")
    @classmethod
    def _cidrs(cls, values: list[str]) -> list[str]:
        normalized = []
        for value in values:
            network = hosts.as_network(value)
            if network is None:
                raise ValueError(f"{value!r} is not an IP address or CIDR")
            if hosts.is_metadata(network):
                raise ValueError(f"{value!r} is the cloud metadata address, never reachable")
            normalized.append(str(network))
        return normalized

    @field_validator("ports")
    @classmethod
    def _ports(cls, values: list[int]) -> list[int]:
        if not values:
            raise ValueError("at least one port is required")
        return sorted(set(values))

    @model_validator(mode="after")
    def _some_peer(self) -> DNSOptions:
        if self.namespace_selector is None and self.pod_selector is None and not self.cidrs:
            raise ValueError("name the DNS servers: namespace_selector and/or pod_selector, "
                             "or cidrs")
        return self

    @property
    def selector_peer(self) -> dict[str, Any] | None:
        """The NetworkPolicy peer of the DNS pods, or None when only CIDRs are given."""
        if self.namespace_selector is None and self.pod_selector is None:
            return None
        peer: dict[str, Any] = {}
        if self.namespace_selector is not None:
            peer["namespaceSelector"] = canonical(self.namespace_selector)
        if self.pod_selector is not None:
            peer["podSelector"] = canonical(self.pod_selector)
        return peer


#: The default: kube-dns in kube-system on port 53.
KUBE_DNS = DNSOptions(
    namespace_selector={"matchLabels": {NAMESPACE_NAME_LABEL: KUBE_DNS_NAMESPACE}},
    pod_selector={"matchLabels": dict(KUBE_DNS_POD_LABELS)},
)


def dns_options(value: Any, resource: str) -> DNSOptions:
    """The ``dns`` argument: None (kube-dns) or a mapping of the options above."""
    if value is None:
        return KUBE_DNS
    if not isinstance(value, Mapping | DNSOptions):
        raise SpecValidationError(resource, Issue(
            "dns", f"must be a mapping of options, got {type(value).__name__}"))
    try:
        return parse_model(DNSOptions, value, resource=resource, root="dns")
    except SpecValidationError as error:
        allowed = ", ".join(sorted(DNSOptions.model_fields))
        raise SpecValidationError(resource, [
            Issue(i.path, f"unknown option (allowed: {allowed})")
            if i.message.startswith("unknown field") and i.path.count(".") == 1 else i
            for i in error.issues]) from None


__all__ = ["KUBE_DNS", "NAMESPACE_NAME_LABEL", "DNSOptions", "dns_options"]
