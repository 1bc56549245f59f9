"""The Pod Security Standard policies, each with a passing and a failing pod, and every
workload kind checked at the right place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from ome_mcp_policy import POLICIES
from policy_fixtures import TYPES, pod_template, run_resource_policy, workload

Mutation = Callable[[dict[str, Any], dict[str, Any], dict[str, Any]], None]
WORKLOAD_POLICIES = [p.name for p in POLICIES
                     if p.name.startswith("pss-") or p.name in (
                         "read-only-root-filesystem", "container-resources", "image-pinned",
                         "allowed-image-registries", "no-plaintext-secret-env",
                         "mcp-server-no-service-account-token")]


def _violations(policy: str, mutate: Mutation | None, kind: str = "Deployment",
                config: dict[str, Any] | None = None) -> list[str]:
    template = pod_template({"app": "x"})
    spec, container, metadata = template["spec"], template["spec"]["containers"][0], \
        template["metadata"]
    if mutate is not None:
        mutate(spec, container, metadata)
    return run_resource_policy(policy, TYPES[kind], workload(kind, template), config)


def sc(**values: Any) -> Mutation:
    """Set fields of the container's securityContext."""
    return lambda spec, c, meta: c["securityContext"].update(values)


def pod_sc(**values: Any) -> Mutation:
    """Set fields of the pod's securityContext."""
    return lambda spec, c, meta: spec["securityContext"].update(values)


def pod(**values: Any) -> Mutation:
    """Set fields of the pod spec."""
    return lambda spec, c, meta: spec.update(values)


def drop(*fields: str, pod_level: bool = False) -> Mutation:
    """Remove fields of the container's (or pod's) securityContext."""
    def mutate(spec: dict[str, Any], c: dict[str, Any], meta: dict[str, Any]) -> None:
        target = spec["securityContext"] if pod_level else c["securityContext"]
        for f in fields:
            target.pop(f, None)
    return mutate


def add_init_container(**security: Any) -> Mutation:
    def mutate(spec: dict[str, Any], c: dict[str, Any], meta: dict[str, Any]) -> None:
        init = {**c, "name": "init", "securityContext": {**c["securityContext"], **security}}
        spec["initContainers"] = [init]
    return mutate


def volume(**source: Any) -> Mutation:
    return pod(volumes=[{"name": "v", **source}])


def annotate(key: str, value: str) -> Mutation:
    return lambda spec, c, meta: meta.setdefault("annotations", {}).update({key: value})


CASES: list[tuple[str, str, Mutation, bool]] = [
    # (id, policy, mutation, violates)
    ("privileged container", "pss-privileged-containers", sc(privileged=True), True),
    ("privileged: false", "pss-privileged-containers", sc(privileged=False), False),
    ("privileged init container", "pss-privileged-containers",
     add_init_container(privileged=True), True),
    ("windows hostProcess pod", "pss-privileged-containers",
     pod_sc(windowsOptions={"hostProcess": True}), True),
    ("escalation allowed", "pss-privilege-escalation", sc(allowPrivilegeEscalation=True), True),
    ("escalation unset", "pss-privilege-escalation", drop("allowPrivilegeEscalation"), True),
    ("escalation unset on windows", "pss-privilege-escalation",
     lambda s, c, m: (drop("allowPrivilegeEscalation")(s, c, m), s.update(os={"name": "windows"})),
     False),
    ("runAsNonRoot false on container", "pss-run-as-non-root", sc(runAsNonRoot=False), True),
    ("runAsNonRoot only on pod", "pss-run-as-non-root", drop("runAsNonRoot"), False),
    ("runAsNonRoot nowhere", "pss-run-as-non-root",
     lambda s, c, m: (drop("runAsNonRoot")(s, c, m), drop("runAsNonRoot", pod_level=True)(s, c, m)),
     True),
    ("runAsUser 0 on pod", "pss-run-as-non-root-user", pod_sc(runAsUser=0), True),
    ("runAsUser 0 on container", "pss-run-as-non-root-user", sc(runAsUser=0), True),
    ("runAsUser 1000", "pss-run-as-non-root-user", sc(runAsUser=1000), False),
    ("seccomp Unconfined on pod", "pss-seccomp-profile",
     pod_sc(seccompProfile={"type": "Unconfined"}), True),
    ("seccomp Unconfined on container", "pss-seccomp-profile",
     sc(seccompProfile={"type": "Unconfined"}), True),
    ("seccomp missing", "pss-seccomp-profile", drop("seccompProfile", pod_level=True), True),
    ("seccomp on every container only", "pss-seccomp-profile",
     lambda s, c, m: (drop("seccompProfile", pod_level=True)(s, c, m),
                      sc(seccompProfile={"type": "Localhost",
                                         "localhostProfile": "p.json"})(s, c, m)), False),
    ("capabilities not dropped", "pss-drop-all-capabilities", drop("capabilities"), True),
    ("drop only NET_RAW", "pss-drop-all-capabilities",
     sc(capabilities={"drop": ["NET_RAW"]}), True),
    ("add SYS_ADMIN", "pss-added-capabilities",
     sc(capabilities={"drop": ["ALL"], "add": ["SYS_ADMIN"]}), True),
    ("add NET_BIND_SERVICE", "pss-added-capabilities",
     sc(capabilities={"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}), False),
    ("hostNetwork", "pss-host-namespaces", pod(hostNetwork=True), True),
    ("hostPID", "pss-host-namespaces", pod(hostPID=True), True),
    ("hostIPC", "pss-host-namespaces", pod(hostIPC=True), True),
    ("hostNetwork false", "pss-host-namespaces", pod(hostNetwork=False), False),
    ("hostPath volume", "pss-host-path-volumes", volume(hostPath={"path": "/var/run"}), True),
    ("emptyDir volume", "pss-host-path-volumes", volume(emptyDir={}), False),
    ("nfs volume", "pss-volume-types", volume(nfs={"server": "nfs", "path": "/x"}), True),
    ("projected volume", "pss-volume-types", volume(projected={"sources": []}), False),
    ("hostPath left to its own policy", "pss-volume-types", volume(hostPath={"path": "/"}),
     False),
    ("hostPort", "pss-host-ports",
     lambda s, c, m: c.update(ports=[{"containerPort": 80, "hostPort": 80}]), True),
    ("containerPort only", "pss-host-ports",
     lambda s, c, m: c.update(ports=[{"containerPort": 80}]), False),
    ("procMount Unmasked", "pss-proc-mount", sc(procMount="Unmasked"), True),
    ("procMount Default", "pss-proc-mount", sc(procMount="Default"), False),
    ("liveness probe with a host", "pss-host-probes",
     lambda s, c, m: c.update(livenessProbe={"httpGet": {"port": 80, "host": "10.0.0.1"}}),
     True),
    ("preStop hook with a host", "pss-host-probes",
     lambda s, c, m: c.update(lifecycle={"preStop": {"tcpSocket": {"port": 80,
                                                                    "host": "node"}}}), True),
    ("probe with an empty host", "pss-host-probes",
     lambda s, c, m: c.update(readinessProbe={"tcpSocket": {"port": 80, "host": ""}}), False),
    ("init container probe with a host", "pss-host-probes",
     lambda s, c, m: s.update(initContainers=[{**c, "name": "init", "startupProbe": {
         "httpGet": {"port": 80, "host": "metadata"}}}]), True),
    ("unsafe sysctl", "pss-sysctls",
     pod_sc(sysctls=[{"name": "kernel.msgmax", "value": "1"}]), True),
    ("safe sysctl", "pss-sysctls",
     pod_sc(sysctls=[{"name": "net.ipv4.tcp_syncookies", "value": "1"}]), False),
    ("AppArmor Unconfined field", "pss-apparmor", sc(appArmorProfile={"type": "Unconfined"}),
     True),
    ("AppArmor unconfined annotation", "pss-apparmor",
     annotate("container.apparmor.security.beta.kubernetes.io/mcp", "unconfined"), True),
    ("AppArmor RuntimeDefault", "pss-apparmor",
     pod_sc(appArmorProfile={"type": "RuntimeDefault"}), False),
    ("SELinux custom type", "pss-selinux", sc(seLinuxOptions={"type": "spc_t"}), True),
    ("SELinux user", "pss-selinux", pod_sc(seLinuxOptions={"user": "system_u"}), True),
    ("SELinux container_t and level", "pss-selinux",
     sc(seLinuxOptions={"type": "container_t", "level": "s0:c1"}), False),
]


@pytest.mark.parametrize(("policy", "mutate", "violates"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_pss_policy(policy: str, mutate: Mutation, violates: bool) -> None:
    messages = _violations(policy, mutate)
    assert bool(messages) is violates, messages
    if violates:
        assert "Remediation:" in messages[0]
        assert "Deployment 'tools/app'" in messages[0]


@pytest.mark.parametrize("kind", ["Pod", "Deployment", "StatefulSet", "DaemonSet",
                                  "ReplicaSet", "Job", "CronJob"])
def test_every_workload_kind_is_checked_at_its_pod_template(kind: str) -> None:
    assert _violations("pss-privileged-containers", sc(privileged=True), kind)
    for name in WORKLOAD_POLICIES:
        assert _violations(name, None, kind) == [], name


def test_a_restricted_pod_passes_every_workload_policy() -> None:
    for name in WORKLOAD_POLICIES:
        assert _violations(name, None) == [], name


def test_config_widens_allowed_capabilities() -> None:
    mutate = sc(capabilities={"drop": ["ALL"], "add": ["NET_ADMIN"]})
    assert _violations("pss-added-capabilities", mutate)
    config = {"allowedCapabilities": ["NET_BIND_SERVICE", "NET_ADMIN"]}
    assert _violations("pss-added-capabilities", mutate, config=config) == []


def test_config_allows_listed_host_ports() -> None:
    def mutate(s: dict[str, Any], c: dict[str, Any], m: dict[str, Any]) -> None:
        c["ports"] = [{"containerPort": 53, "hostPort": 53}]
    assert _violations("pss-host-ports", mutate, config={"allowedHostPorts": [53.0]}) == []
