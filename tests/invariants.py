"""Invariants every rendered stack must hold, as reusable checkers.

A plain module (importable by any test: pytest puts ``tests/`` on ``sys.path``). Each
checker takes a rendered object or a whole ``Stack`` (a ``Recording`` with lookups)
and returns the violations it finds as readable strings, so an empty list means the
invariant holds and a test can show every violation at once:

- ``schema_problems``: valid against the Kubernetes 1.34 OpenAPI schema in strict mode
  (``cilium.io`` objects against the Cilium schema, ``monitoring.coreos.com`` ones
  against the ServiceMonitor schema, both in ``tests/schemas``);
- ``pod_security_problems``: every pod template meets the **restricted** Pod Security
  Standard, which includes every **baseline** control (Kubernetes 1.34, with the
  standard's pod-level inheritance and its Windows exemptions);
- ``security_default_problems``: what design.md §4 adds (read-only root file system,
  requests and limits, no automounted token);
- ``rbac_problems``: no wildcard verbs, resources, API groups or URLs; no binding to a
  ClusterRole; no cluster-wide RBAC;
- ``network_isolation_problems``: every pod is selected by NetworkPolicies for ingress
  and egress;
- ``metadata_problems``: no NetworkPolicy or CiliumNetworkPolicy lets a pod reach the
  cloud metadata address 169.254.169.254 (or its IPv6 twin);
- ``egress_problems``: a server's egress is what its permission profile allows, no
  more (open only with ``insecureAllowAll`` or builtin ``network``), and no gateway has
  unrestricted egress (``unresolved_profiles``: servers whose profile it cannot see);
- ``secret_problems``: no credential-looking value in any ConfigMap, component input or
  stack output; secrets reach containers only through ``secretKeyRef``;
- ``topology_problems``: the objects of design.md §3, derived from each component's
  recorded inputs, each a child of its component.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate

from ome_mcp_components.offline.recording import RecordedResource, Recording

KUBERNETES_VERSION = "1.34"
TESTS = Path(__file__).resolve().parent
CILIUM_SCHEMA_MODULE = TESTS / "builders" / "cilium_schema.py"
SERVICE_MONITOR_SCHEMA_MODULE = TESTS / "builders" / "service_monitor_schema.py"

Manifest = dict[str, Any]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

#: The cloud metadata endpoint (IPv4, and AWS's IPv6 form).
METADATA_ADDRESSES = (ipaddress.ip_address("169.254.169.254"),
                      ipaddress.ip_address("fd00:ec2::254"))
#: Public addresses standing for "the internet" when judging whether egress is open.
PUBLIC_ADDRESSES = (ipaddress.ip_address("8.8.8.8"), ipaddress.ip_address("2606:4700::1111"))

COMPONENT_TYPES = {
    "ome-mcp:index:MCPServer": "MCPServer",
    "ome-mcp:index:ClusterMCPServer": "ClusterMCPServer",
    "ome-mcp:index:PermissionProfile": "PermissionProfile",
}
SERVER_LABEL = "ome.io/mcp-server"
COMPONENT_LABEL = "app.kubernetes.io/component"


# --------------------------------------------------------------------------- the stack


@dataclass(frozen=True)
class Stack:
    """A rendered stack: the recording, with the lookups the checkers need.

    ``config_maps`` holds ConfigMap data the program handed to its components
    (``config_maps`` argument) for ConfigMaps the stack neither creates nor reads:
    ``(namespace, name) -> data``.
    """

    recording: Recording
    config_maps: Mapping[tuple[str, str], Mapping[str, str]] = dataclasses.field(
        default_factory=dict)

    @property
    def objects(self) -> list[Manifest]:
        """The managed Kubernetes objects, in apply order."""
        return self.recording.kubernetes_objects()

    @property
    def components(self) -> list[RecordedResource]:
        """The ome-mcp components, in registration order."""
        return [r for r in self.recording.resources if r.type in COMPONENT_TYPES]

    @property
    def servers(self) -> list[RecordedResource]:
        """The MCPServer and ClusterMCPServer components."""
        return [r for r in self.components if COMPONENT_TYPES[r.type] != "PermissionProfile"]

    def config_map_data(self, namespace: str, name: str) -> dict[str, str] | None:
        """The data of ConfigMap ``namespace/name``: created in the stack, read, or given
        in ``config_maps``; None when the stack does not know it."""
        if (namespace, name) in self.config_maps:
            return dict(self.config_maps[(namespace, name)])
        for resource in self.recording.resources:
            if resource.type != "kubernetes:core/v1:ConfigMap":
                continue
            metadata = resource.inputs.get("metadata") or {}
            if metadata.get("name") == name and metadata.get("namespace", "default") == namespace:
                return dict(resource.inputs.get("data") or {})
        return None


def key(obj: Mapping[str, Any]) -> str:
    """``Kind namespace/name`` (``Kind name`` when cluster-scoped)."""
    metadata = obj.get("metadata") or {}
    namespace = metadata.get("namespace")
    where = f"{namespace}/{metadata.get('name')}" if namespace else str(metadata.get("name"))
    return f"{obj.get('kind')} {where}"


def _sc(holder: Mapping[str, Any]) -> dict[str, Any]:
    return dict(holder.get("securityContext") or {})


def _dig(value: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


# --------------------------------------------------------------------------- schema


@cache
def _cilium_policy_errors() -> Callable[[Manifest], list[str]] | None:
    """The Cilium schema checker of ``tests/builders/cilium_schema.py``, if present."""
    if not CILIUM_SCHEMA_MODULE.is_file():
        return None
    spec = importlib.util.spec_from_file_location("_cilium_schema", CILIUM_SCHEMA_MODULE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    checker: Callable[[Manifest], list[str]] = module.cilium_policy_errors
    return checker


@cache
def _service_monitor_errors() -> Callable[[Manifest], list[str]]:
    """The ServiceMonitor schema checker of ``tests/builders/service_monitor_schema.py``."""
    spec = importlib.util.spec_from_file_location(
        "_service_monitor_schema", SERVICE_MONITOR_SCHEMA_MODULE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    checker: Callable[[Manifest], list[str]] = module.service_monitor_errors
    return checker


def cilium_schema_available() -> bool:
    """True when the Cilium schema checker exists (else Cilium objects cannot be checked)."""
    return _cilium_policy_errors() is not None


def schema_problems(obj: Manifest) -> list[str]:
    """Why ``obj`` is not valid against its schema (strict: unknown fields are errors).

    Raises ``LookupError`` for a ``cilium.io`` object when no Cilium schema is present.
    """
    if str(obj.get("apiVersion", "")).startswith("cilium.io/"):
        checker = _cilium_policy_errors()
        if checker is None:
            raise LookupError(f"no Cilium schema ({CILIUM_SCHEMA_MODULE} is missing)")
        return [f"{key(obj)}: {problem}" for problem in checker(obj)]
    if str(obj.get("apiVersion", "")).startswith("monitoring.coreos.com/"):
        return [f"{key(obj)}: {problem}" for problem in _service_monitor_errors()(obj)]
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = ".".join(map(str, error.absolute_path)) or "<root>"
        return [f"{key(obj)}: {path}: {error.message}"]
    except kubernetes_validate.SchemaNotFoundError as error:
        return [f"{key(obj)}: no Kubernetes {KUBERNETES_VERSION} schema: {error}"]
    return []


# --------------------------------------------------------------------------- pod security

#: Baseline "Capabilities": what a container may add (the container runtime's defaults).
BASELINE_CAPABILITIES = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
    "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
})
#: Restricted "Capabilities": the only capability a container may add.
RESTRICTED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})
#: Restricted "Volume Types": the only volume sources allowed.
RESTRICTED_VOLUME_SOURCES = frozenset({
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
    "projected", "secret",
})
#: Baseline "Sysctls": the safe (namespaced) sysctls.
SAFE_SYSCTLS = frozenset({
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
})
#: Baseline "SELinux": the types a pod or container may set.
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t",
                           "container_engine_t"})
#: Baseline/restricted "Seccomp": the profile types allowed (restricted: these only).
SECCOMP_TYPES = frozenset({"RuntimeDefault", "Localhost"})
APPARMOR_TYPES = frozenset({"RuntimeDefault", "Localhost"})
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
                            "ReplicationController", "Job"})


@dataclass(frozen=True)
class PodTemplate:
    """A pod as a workload will create it: where it is, its metadata and its spec."""

    where: str
    metadata: dict[str, Any]
    spec: dict[str, Any]
    namespace: str


def pod_templates(obj: Manifest) -> list[PodTemplate]:
    """The pods ``obj`` runs: a Pod itself, a workload's template, a CronJob's job's."""
    kind = obj.get("kind")
    namespace = str(_dig(obj, "metadata", "namespace") or "default")
    if kind == "Pod":
        template: Any = obj
    elif kind in WORKLOAD_KINDS:
        template = _dig(obj, "spec", "template")
    elif kind == "CronJob":
        template = _dig(obj, "spec", "jobTemplate", "spec", "template")
    elif kind == "PodTemplate":
        template = obj.get("template")
    else:
        return []
    template = template or {}
    return [PodTemplate(key(obj), dict(template.get("metadata") or {}),
                        dict(template.get("spec") or {}), namespace)]


def _containers(spec: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for field in CONTAINER_LISTS:
        for container in spec.get(field) or []:
            yield f"{field}[{container.get('name')}]", container


def pod_security_problems(obj: Manifest) -> list[str]:
    """Every way the pods of ``obj`` break the restricted Pod Security Standard."""
    return [f"{pod.where}: {problem}" for pod in pod_templates(obj)
            for problem in restricted_problems(pod.metadata, pod.spec)]


def restricted_problems(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> list[str]:
    """The restricted profile of the Pod Security Standards (every baseline control
    too) applied to one pod: ``[control] field: why``."""
    return baseline_problems(metadata, spec) + _restricted_only(spec)


def baseline_problems(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> list[str]:
    """The baseline profile of the Pod Security Standards applied to one pod."""
    problems: list[str] = []
    pod_sc = _sc(spec)
    containers = list(_containers(spec))

    # HostProcess: Windows host processes are privileged on the node.
    if _dig(pod_sc, "windowsOptions", "hostProcess") is True:
        problems.append("[HostProcess] spec.securityContext.windowsOptions.hostProcess is true")
    for where, c in containers:
        if _dig(_sc(c), "windowsOptions", "hostProcess") is True:
            problems.append(f"[HostProcess] {where}.securityContext.windowsOptions.hostProcess "
                            "is true")
    # Host Namespaces
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field) is True:
            problems.append(f"[Host Namespaces] spec.{field} is true")
    for where, c in containers:
        sc = _sc(c)
        # Privileged Containers
        if sc.get("privileged") is True:
            problems.append(f"[Privileged Containers] {where}.securityContext.privileged is true")
        # Capabilities (baseline)
        added = set(_dig(sc, "capabilities", "add") or [])
        if added - BASELINE_CAPABILITIES:
            problems.append(f"[Capabilities] {where} adds {sorted(added - BASELINE_CAPABILITIES)}")
        # Host Ports
        for port in c.get("ports") or []:
            if port.get("hostPort") not in (None, 0):
                problems.append(f"[Host Ports] {where} uses hostPort {port['hostPort']}")
        # /proc Mount Type
        if sc.get("procMount") not in (None, "Default"):
            problems.append(f"[/proc Mount Type] {where}.securityContext.procMount is "
                            f"{sc['procMount']}")
        # Host Probes / Lifecycle Hooks (1.34+): no host on a probe's or hook's handler
        for handler, host in _handler_hosts(c):
            problems.append(f"[Host Probes / Lifecycle Hooks] {where}.{handler}.host is {host}")
    # HostPath Volumes
    for volume in spec.get("volumes") or []:
        if "hostPath" in volume:
            problems.append(f"[HostPath Volumes] volume {volume.get('name')} is a hostPath")
    # AppArmor (fields and the older annotations)
    contexts = [("spec.securityContext", pod_sc)] + [
        (f"{where}.securityContext", _sc(c)) for where, c in containers]
    for where, sc in contexts:
        apparmor = _dig(sc, "appArmorProfile", "type")
        if apparmor is not None and apparmor not in APPARMOR_TYPES:
            problems.append(f"[AppArmor] {where}.appArmorProfile.type is {apparmor}")
    for name, value in (metadata.get("annotations") or {}).items():
        if name.startswith(APPARMOR_ANNOTATION) and value != "runtime/default" \
                and not str(value).startswith("localhost/"):
            problems.append(f"[AppArmor] annotation {name} is {value}")
    # SELinux
    for where, sc in contexts:
        options = sc.get("seLinuxOptions") or {}
        if options.get("type") is not None and options["type"] not in SELINUX_TYPES:
            problems.append(f"[SELinux] {where}.seLinuxOptions.type is {options['type']}")
        for field in ("user", "role"):
            if options.get(field):
                problems.append(f"[SELinux] {where}.seLinuxOptions.{field} is set")
    # Seccomp (baseline: never Unconfined)
    for where, sc in contexts:
        if _dig(sc, "seccompProfile", "type") == "Unconfined":
            problems.append(f"[Seccomp] {where}.seccompProfile.type is Unconfined")
    # Sysctls
    for sysctl in pod_sc.get("sysctls") or []:
        if sysctl.get("name") not in SAFE_SYSCTLS:
            problems.append(f"[Sysctls] {sysctl.get('name')} is not a safe sysctl")
    return problems


#: Baseline "Host Probes / Lifecycle Hooks": the handlers whose ``host`` must be unset or "".
PROBE_HANDLERS = (
    ("livenessProbe",), ("readinessProbe",), ("startupProbe",),
    ("lifecycle", "postStart"), ("lifecycle", "preStop"),
)


def _handler_hosts(container: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    for path in PROBE_HANDLERS:
        for action in ("httpGet", "tcpSocket"):
            host = _dig(container, *path, action, "host")
            if host not in (None, ""):
                yield ".".join((*path, action)), host


def _restricted_only(spec: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    pod_sc = _sc(spec)
    containers = list(_containers(spec))
    windows = _dig(spec, "os", "name") == "windows"

    # Volume Types
    for volume in spec.get("volumes") or []:
        sources = set(volume) - {"name"}
        if not sources or sources - RESTRICTED_VOLUME_SOURCES:
            problems.append(f"[Volume Types] volume {volume.get('name')} is of type "
                            f"{sorted(sources) or 'none'}")
    # Running as Non-root: pod-level true, or every container true; never false.
    pod_non_root = pod_sc.get("runAsNonRoot")
    if pod_non_root is False:
        problems.append("[Running as Non-root] spec.securityContext.runAsNonRoot is false")
    for where, c in containers:
        value = _sc(c).get("runAsNonRoot")
        if value is False:
            problems.append(f"[Running as Non-root] {where}.securityContext.runAsNonRoot is "
                            "false")
        elif value is None and pod_non_root is not True:
            problems.append(f"[Running as Non-root] {where}: runAsNonRoot is set neither on "
                            "the container nor on the pod")
    # Running as Non-root user
    if pod_sc.get("runAsUser") == 0:
        problems.append("[Running as Non-root user] spec.securityContext.runAsUser is 0")
    for where, c in containers:
        if _sc(c).get("runAsUser") == 0:
            problems.append(f"[Running as Non-root user] {where}.securityContext.runAsUser is 0")
    if windows:  # the standard exempts Windows pods from the three controls below
        return problems
    # Privilege Escalation: explicitly false on every container.
    for where, c in containers:
        if _sc(c).get("allowPrivilegeEscalation") is not False:
            problems.append(f"[Privilege Escalation] {where}.securityContext."
                            "allowPrivilegeEscalation is not false")
    # Seccomp (restricted): RuntimeDefault or Localhost, on the pod or every container.
    pod_seccomp = _dig(pod_sc, "seccompProfile", "type")
    if pod_seccomp is not None and pod_seccomp not in SECCOMP_TYPES:
        problems.append(f"[Seccomp] spec.securityContext.seccompProfile.type is {pod_seccomp}")
    for where, c in containers:
        seccomp = _dig(_sc(c), "seccompProfile", "type")
        if seccomp is not None and seccomp not in SECCOMP_TYPES:
            problems.append(f"[Seccomp] {where}.securityContext.seccompProfile.type is "
                            f"{seccomp}")
        elif seccomp is None and pod_seccomp not in SECCOMP_TYPES:
            problems.append(f"[Seccomp] {where}: no seccompProfile on the container or the pod")
    # Capabilities (restricted): drop ALL, add at most NET_BIND_SERVICE.
    for where, c in containers:
        capabilities = _dig(_sc(c), "capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or []):
            problems.append(f"[Capabilities] {where} does not drop ALL")
        added = set(capabilities.get("add") or [])
        if added - RESTRICTED_CAPABILITIES:
            problems.append(f"[Capabilities] {where} adds "
                            f"{sorted(added - RESTRICTED_CAPABILITIES)}")
    return problems


def security_default_problems(obj: Manifest) -> list[str]:
    """design.md §4 beyond the standard: read-only root file systems, requests and
    limits for CPU and memory, and no automounted service-account token."""
    problems: list[str] = []
    for pod in pod_templates(obj):
        if pod.spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{pod.where}: automountServiceAccountToken is not false")
        for where, c in _containers(pod.spec):
            if _sc(c).get("readOnlyRootFilesystem") is not True:
                problems.append(f"{pod.where}: {where}: readOnlyRootFilesystem is not true")
            resources = c.get("resources") or {}
            for bound in ("requests", "limits"):
                missing = {"cpu", "memory"} - set(resources.get(bound) or {})
                if missing:
                    problems.append(f"{pod.where}: {where}: no {bound} for {sorted(missing)}")
    return problems


# --------------------------------------------------------------------------- RBAC


def rbac_problems(obj: Manifest) -> list[str]:
    """Wildcards in a Role's rules, bindings to ClusterRoles, cluster-wide RBAC."""
    kind = obj.get("kind")
    problems: list[str] = []
    if kind in ("ClusterRole", "ClusterRoleBinding"):
        problems.append(f"{key(obj)}: the components never grant cluster-wide rights")
    if kind in ("Role", "ClusterRole"):
        for index, rule in enumerate(obj.get("rules") or []):
            for field in ("verbs", "resources", "apiGroups", "nonResourceURLs"):
                wild = [v for v in rule.get(field) or [] if "*" in str(v)]
                if wild:
                    problems.append(f"{key(obj)}: rules[{index}].{field} has wildcard {wild}")
    if kind in ("RoleBinding", "ClusterRoleBinding"):
        role_ref = obj.get("roleRef") or {}
        if role_ref.get("kind") != "Role":
            problems.append(f"{key(obj)}: binds {role_ref.get('kind')} {role_ref.get('name')}")
    return problems


# --------------------------------------------------------------------------- networking


def _selects(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Whether a label selector matches ``labels`` (an empty selector matches all)."""
    selector = selector or {}
    for name, value in (selector.get("matchLabels") or {}).items():
        if labels.get(name) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        name, operator = expression["key"], expression["operator"]
        values = expression.get("values") or []
        present = name in labels
        if operator == "In" and (not present or labels[name] not in values):
            return False
        if operator == "NotIn" and present and labels[name] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def policies_for(objects: Iterable[Manifest], pod: PodTemplate) -> list[Manifest]:
    """The NetworkPolicies of the pod's namespace that select it."""
    labels = pod.metadata.get("labels") or {}
    return [np for np in objects if np.get("kind") == "NetworkPolicy"
            and (_dig(np, "metadata", "namespace") or "default") == pod.namespace
            and _selects(_dig(np, "spec", "podSelector"), labels)]


def _policy_types(np: Manifest) -> list[str]:
    spec = np.get("spec") or {}
    declared = spec.get("policyTypes")
    if declared:
        return list(declared)
    return ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


def network_isolation_problems(objects: list[Manifest]) -> list[str]:
    """Every pod must be isolated for ingress and egress (selected by a NetworkPolicy
    of each type), so that only what the policies allow reaches it or leaves it."""
    problems: list[str] = []
    for obj in objects:
        for pod in pod_templates(obj):
            types = {t for np in policies_for(objects, pod) for t in _policy_types(np)}
            for missing in sorted({"Ingress", "Egress"} - types):
                problems.append(f"{pod.where}: no NetworkPolicy isolates it for {missing}")
    return problems


def _network(text: str) -> Network:
    return ipaddress.ip_network(text, strict=False)


def _block_reaches(block: Mapping[str, Any], address: Address) -> bool:
    cidr = _network(str(block.get("cidr")))
    if address.version != cidr.version or address not in cidr:
        return False
    return not any(address in _network(str(e)) for e in block.get("except") or []
                   if _network(str(e)).version == address.version)


def _rule_reaches(rule: Mapping[str, Any], address: Address) -> bool:
    """Whether a NetworkPolicy egress rule admits traffic to ``address`` (on some port)."""
    peers = rule.get("to")
    if not peers:  # no peers: every destination
        return True
    return any("ipBlock" in peer and _block_reaches(peer["ipBlock"], address) for peer in peers)


def _cilium_reaches(rule: Mapping[str, Any], address: Address) -> bool:
    if set(rule.get("toEntities") or []) & {"world", "all", "world-ipv4", "world-ipv6"}:
        return True
    if rule.get("toFQDNs"):  # a name may resolve to any address, the metadata one included
        return True
    cidrs = [{"cidr": c} for c in rule.get("toCIDR") or []]
    cidrs += [{"cidr": s.get("cidr"), "except": s.get("except")}
              for s in rule.get("toCIDRSet") or [] if s.get("cidr")]
    return any(_block_reaches(block, address) for block in cidrs)


def _cilium_denies(spec: Mapping[str, Any], address: Address) -> bool:
    for rule in spec.get("egressDeny") or []:
        cidrs = list(rule.get("toCIDR") or []) + [s.get("cidr") for s in
                                                  rule.get("toCIDRSet") or []]
        if any(c and _block_reaches({"cidr": c}, address) for c in cidrs):
            return True
    return False


def metadata_problems(obj: Manifest) -> list[str]:
    """Egress rules that let a pod reach the cloud metadata address."""
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    problems: list[str] = []
    for address in METADATA_ADDRESSES:
        if kind == "NetworkPolicy" and "Egress" in _policy_types(obj):
            for index, rule in enumerate(spec.get("egress") or []):
                if _rule_reaches(rule, address):
                    problems.append(f"{key(obj)}: egress[{index}] reaches {address}")
        if kind == "CiliumNetworkPolicy" and not _cilium_denies(spec, address):
            for index, rule in enumerate(spec.get("egress") or []):
                if _cilium_reaches(rule, address):
                    problems.append(f"{key(obj)}: egress[{index}] reaches {address} "
                                    "(no egressDeny for it)")
    return problems


# --------------------------------------------------------------------------- egress


@dataclass(frozen=True)
class Profile:
    """What a server's permission profile allows, as the checks need it."""

    network: bool
    allow_all: bool
    networks: tuple[Network, ...]
    names: tuple[str, ...]
    ports: frozenset[int]


def _profile_of(stack: Stack, server: RecordedResource) -> Profile | str:
    """The server's permission profile, or why it cannot be found in the stack."""
    spec = server.inputs.get("spec") or {}
    namespace = _dig(server.inputs, "metadata", "namespace")
    ref = spec.get("permissionProfile") or {"type": "builtin", "name": "none"}
    data: Any
    if ref.get("type") == "builtin":
        data = {"network": {"outbound": {"insecureAllowAll": True}}} \
            if ref.get("name") == "network" else {}
    elif ref.get("type") == "inline":
        data = ref.get("inline") or {}
    else:
        config_map = ref.get("configMap") or {}
        found = stack.config_map_data(str(namespace), str(config_map.get("name")))
        text = (found or {}).get(str(config_map.get("key", "permissions.json")))
        if text is None:
            return f"profile ConfigMap {namespace}/{config_map.get('name')} is not in the stack"
        data = json.loads(text)
    outbound = _dig(data, "network", "outbound")
    hosts = list((outbound or {}).get("allowHost") or [])
    networks, names = [], []
    for host in hosts:
        try:
            networks.append(_network(host))
        except ValueError:
            names.append(host)
    return Profile(
        network=outbound is not None,
        allow_all=bool((outbound or {}).get("insecureAllowAll")),
        networks=tuple(networks), names=tuple(names),
        ports=frozenset(int(p) for p in (outbound or {}).get("allowPort") or []),
    )


def _within(block: Network, allowed: Network) -> bool:
    if isinstance(block, ipaddress.IPv4Network) and isinstance(allowed, ipaddress.IPv4Network):
        return block.subnet_of(allowed)
    if isinstance(block, ipaddress.IPv6Network) and isinstance(allowed, ipaddress.IPv6Network):
        return block.subnet_of(allowed)
    return False


def unresolved_profiles(stack: Stack) -> list[str]:
    """Hosted servers whose permission profile the stack does not hold (a ConfigMap
    neither created, read, nor given in ``Stack.config_maps``): ``egress_problems``
    cannot judge their egress against the profile."""
    return [f"server {_dig(s.inputs, 'metadata', 'namespace')}/"
            f"{_dig(s.inputs, 'metadata', 'name')}: {found}"
            for s in stack.servers if _dig(s.inputs, "spec", "type") == "Hosted"
            for found in [_profile_of(stack, s)] if isinstance(found, str)]


def _is_dns_rule(rule: Mapping[str, Any]) -> bool:
    """DNS egress as the components render it (``dns`` option): every port over both UDP
    and TCP (the profile's rules are TCP only), to pods by selector or to single
    addresses (a NodeLocal DNSCache), never to a range."""
    ports = rule.get("ports") or []
    peers = rule.get("to") or []
    pairs = {(str(p.get("protocol", "TCP")), p.get("port")) for p in ports}
    numbers = {p.get("port") for p in ports}
    if not ports or not peers or pairs != {(protocol, number) for number in numbers
                                           for protocol in ("UDP", "TCP")}:
        return False
    return all("ipBlock" not in peer or _network(peer["ipBlock"]["cidr"]).num_addresses == 1
               for peer in peers)


def _unrestricted(rule: Mapping[str, Any]) -> bool:
    """Every destination on every port."""
    return not rule.get("ports") and (
        not rule.get("to") or any(_rule_reaches({"to": [p]}, a) for p in rule["to"]
                                  for a in PUBLIC_ADDRESSES))


def egress_problems(stack: Stack) -> list[str]:
    """Each hosted server's egress is what its permission profile allows: no egress at
    all without network permissions; open egress only with ``insecureAllowAll`` (or
    builtin ``network``); otherwise only the profile's CIDRs (or selectors, for its
    in-cluster names) on its ports. No gateway has unrestricted egress. A server whose
    profile the stack does not hold (``unresolved_profiles``) is judged on the rest."""
    problems: list[str] = []
    objects = stack.objects
    by_key = {key(o): o for o in objects}
    for server in stack.servers:
        name = _dig(server.inputs, "metadata", "name")
        namespace = _dig(server.inputs, "metadata", "namespace")
        gateway = by_key.get(f"NetworkPolicy {namespace}/{name}-gateway")
        for index, rule in enumerate(_dig(gateway, "spec", "egress") or []):
            if _unrestricted(rule):
                problems.append(f"{key(gateway or {})}: egress[{index}] is unrestricted")
        if _dig(server.inputs, "spec", "type") != "Hosted":
            continue
        profile = _profile_of(stack, server)
        policy = by_key.get(f"NetworkPolicy {namespace}/{name}-server")
        if policy is None:
            problems.append(f"server {namespace}/{name}: no server NetworkPolicy")
            continue
        if isinstance(profile, str):  # unknown here: see unresolved_profiles
            continue
        rules = _dig(policy, "spec", "egress") or []
        if not profile.network and rules:
            problems.append(f"{key(policy)}: the profile grants no network, yet {len(rules)} "
                            "egress rule(s)")
            continue
        for index, rule in enumerate(rules):
            if _is_dns_rule(rule) or profile.allow_all:
                continue
            where = f"{key(policy)}: egress[{index}]"
            if not rule.get("to"):
                problems.append(f"{where} admits every destination")
            for peer in rule.get("to") or []:
                if "ipBlock" in peer:
                    block = _network(peer["ipBlock"]["cidr"])
                    if not any(_within(block, n) for n in profile.networks):
                        problems.append(f"{where} admits {block}, which the profile does "
                                        "not allow")
                elif not profile.names:
                    problems.append(f"{where} admits pods by selector, but the profile names "
                                    "no host")
            ports = {int(p.get("port", 0)) for p in rule.get("ports") or []}
            if profile.ports and (not ports or ports - profile.ports):
                problems.append(f"{where} admits ports {sorted(ports) or 'all'}, the profile "
                                f"{sorted(profile.ports)}")
    return problems


# --------------------------------------------------------------------------- secrets

#: Values that look like credentials: private keys, URLs with a password, well-known
#: token formats, JWTs, password assignments.
CREDENTIAL_PATTERNS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "URL with a password": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@\"']+:[^/\s@\"']+@"),
    "AWS access key": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{20,})"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "JWT": re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    "password assignment": re.compile(
        r"(?i)\b(password|passwd|secret|api[_-]?key|client[_-]?secret)\b\s*[\"']?\s*[:=]\s*"
        r"[\"']?[^\s\"',}]{4,}"),
}
#: Environment variable names whose value is a credential: they must come from a Secret.
SECRET_ENV_NAME = re.compile(
    r"(?i)(TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|"
    r"DATABASE_URL|_DSN$|^DSN$)")


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


def credential_findings(value: Any, where: str) -> list[str]:
    """Strings inside ``value`` that look like credentials."""
    return [f"{where}: {path} looks like a {what}"
            for path, text in _strings(value)
            for what, pattern in CREDENTIAL_PATTERNS.items() if pattern.search(text)]


def secret_problems(stack: Stack) -> list[str]:
    """No credential in ConfigMaps, component inputs or stack outputs; no Secret object;
    secret-looking variables only from Secrets; every ``spec.secrets`` entry reaches the
    ``mcp`` container as a ``secretKeyRef`` and nothing but the reference is recorded."""
    problems: list[str] = []
    objects = stack.objects
    for obj in objects:
        if obj.get("kind") == "Secret":
            problems.append(f"{key(obj)}: a Secret's values would land in Pulumi state")
        if obj.get("kind") == "ConfigMap":
            problems += credential_findings(obj.get("data") or {}, key(obj))
        for pod in pod_templates(obj):
            for where, c in _containers(pod.spec):
                for env in c.get("env") or []:
                    if "value" in env and SECRET_ENV_NAME.search(str(env.get("name"))):
                        problems.append(f"{pod.where}: {where}: {env['name']} is a literal "
                                        "value, not a secretKeyRef")
    for component in stack.components:
        problems += credential_findings(component.inputs, f"{component.type} {component.name}")
    problems += credential_findings(stack.recording.outputs, "stack outputs")
    by_key = {key(o): o for o in objects}
    for server in stack.servers:
        spec = server.inputs.get("spec") or {}
        name = _dig(server.inputs, "metadata", "name")
        namespace = _dig(server.inputs, "metadata", "namespace")
        workload = by_key.get(f"Deployment {namespace}/{name}") \
            or by_key.get(f"StatefulSet {namespace}/{name}")
        containers = _dig(workload, "spec", "template", "spec", "containers") or []
        mcp: dict[str, Any] = next((c for c in containers if c.get("name") == "mcp"), {})
        env = {e.get("name"): e for e in mcp.get("env") or []}
        for index, secret in enumerate(spec.get("secrets") or []):
            if set(secret) - {"name", "key", "targetEnvName"}:
                problems.append(f"{server.name}: spec.secrets[{index}] records more than a "
                                "reference")
            target = secret.get("targetEnvName") or secret.get("key")
            ref = _dig(env.get(target), "valueFrom", "secretKeyRef") or {}
            if (ref.get("name"), ref.get("key")) != (secret.get("name"), secret.get("key")):
                problems.append(f"{server.name}: spec.secrets[{index}] does not reach container "
                                f"mcp as {target} from secretKeyRef {secret.get('name')}/"
                                f"{secret.get('key')}")
    return problems


# --------------------------------------------------------------------------- topology


@dataclass(frozen=True)
class Expected:
    """The objects a component must create (``required``) and may create (``optional``)."""

    required: frozenset[str]
    optional: frozenset[str] = frozenset()


def expected_objects(component: RecordedResource) -> Expected:
    """design.md §3 from a component's recorded inputs: ``Kind namespace/name`` keys."""
    kind = COMPONENT_TYPES[component.type]
    metadata = component.inputs.get("metadata") or {}
    n, ns = metadata.get("name"), metadata.get("namespace")
    if kind == "PermissionProfile":
        return Expected(frozenset({f"ConfigMap {ns}/{n}"}))
    spec = component.inputs.get("spec") or {}
    hosted = spec.get("type") == "Hosted"
    http = spec.get("transport") in ("streamable-http", "sse")
    if not (hosted or "oidcConfig" in spec or "authzConfig" in spec):
        return Expected(frozenset())
    replicas = int(spec.get("replicas", 1))
    effective = replicas if http else min(replicas, 1)
    required = {f"ServiceAccount {ns}/{n}-gateway", f"ConfigMap {ns}/{n}-gateway",
                f"Deployment {ns}/{n}-gateway", f"Service {ns}/{n}",
                f"NetworkPolicy {ns}/{n}-gateway"}
    if _dig(spec, "authzConfig", "type") == "inline":
        required.add(f"ConfigMap {ns}/{n}-authz")
    if effective > 1:
        required.add(f"PodDisruptionBudget {ns}/{n}-gateway")
    # the ServiceMonitor is a component option (telemetry), not part of the recorded spec
    optional: set[str] = {f"ServiceMonitor {ns}/{n}-gateway"}
    if component.inputs.get("networkEnforcement") == "cilium":
        optional.add(f"CiliumNetworkPolicy {ns}/{n}-gateway-fqdn")
    if hosted:
        required.add(f"NetworkPolicy {ns}/{n}-server")
        if not spec.get("serviceAccount"):
            required.add(f"ServiceAccount {ns}/{n}")
        if http:
            required |= {f"Deployment {ns}/{n}", f"Service {ns}/{n}-backend"}
        else:
            required |= {f"StatefulSet {ns}/{n}", f"Role {ns}/{n}-gateway",
                         f"RoleBinding {ns}/{n}-gateway"}
        if effective > 1:
            required.add(f"PodDisruptionBudget {ns}/{n}")
        if component.inputs.get("networkEnforcement") == "cilium":
            optional.add(f"CiliumNetworkPolicy {ns}/{n}-server-fqdn")
    return Expected(frozenset(required), frozenset(optional))


def topology_problems(stack: Stack) -> list[str]:
    """Each component creates exactly its objects (design.md §3), as its children;
    every other Kubernetes object is one the program creates itself (a child of the
    stack)."""
    problems: list[str] = []
    stack_urns = {r.urn for r in stack.recording.resources if r.type == "pulumi:pulumi:Stack"}
    children: dict[str, set[str]] = {}
    for resource in stack.recording.resources:
        if resource.is_kubernetes_object:
            children.setdefault(resource.parent or "", set()).add(key(resource.inputs))
    for component in stack.components:
        expected = expected_objects(component)
        actual = children.pop(component.urn, set())
        for missing in sorted(expected.required - actual):
            problems.append(f"{component.name}: {missing} is missing")
        for extra in sorted(actual - expected.required - expected.optional):
            problems.append(f"{component.name}: {extra} is not one of its objects")
    for parent, objects in sorted(children.items()):
        if parent not in stack_urns:
            problems.append(f"objects {sorted(objects)} have parent {parent!r}, not a "
                            "component or the stack")
    keys = [key(o) for o in stack.objects]
    for duplicate in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(f"{duplicate} is rendered more than once")
    return problems


def object_keys(stack: Stack) -> set[str]:
    """``Kind namespace/name`` of every managed Kubernetes object."""
    return {key(o) for o in stack.objects}


def _each(check: Callable[[Manifest], list[str]]) -> Callable[[Stack], list[str]]:
    def run(stack: Stack) -> list[str]:
        return [problem for obj in stack.objects for problem in check(obj)]
    return run


#: Every invariant over a whole stack, by a readable name (for parametrized tests).
#: ``schema`` raises ``LookupError`` for Cilium objects when their schema is missing.
STACK_CHECKS: dict[str, Callable[[Stack], list[str]]] = {
    "schema-valid (Kubernetes 1.34, strict)": _each(schema_problems),
    "restricted pod security": _each(pod_security_problems),
    "security defaults": _each(security_default_problems),
    "no RBAC wildcards": _each(rbac_problems),
    "pods isolated by network policies": lambda stack: network_isolation_problems(stack.objects),
    "metadata address unreachable": _each(metadata_problems),
    "egress as the profile allows": egress_problems,
    "every profile visible to the egress check": unresolved_profiles,
    "no secret values": secret_problems,
    "topology of design.md section 3": topology_problems,
}
