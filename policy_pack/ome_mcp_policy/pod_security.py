"""The Pod Security Standards (Kubernetes 1.34), one policy per check, on every object
that runs pods (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet,
ReplicationController, Job, CronJob, PodTemplate), whoever wrote it.

Each policy's description names the PSS control it enforces and the level
(baseline or restricted) that control belongs to. Every check here is MANDATORY by
default: each one, broken, lets a container reach the node or other pods.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, Severity

from ome_mcp_policy._base import Workload, as_list, as_map, dig, string_list_schema, workload_policy

MANDATORY = EnforcementLevel.MANDATORY

#: PSS restricted "Volume Types": the only volume sources a restricted pod may use.
RESTRICTED_VOLUME_TYPES = frozenset({
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
    "projected", "secret",
})
#: PSS baseline "Sysctls": the namespaced sysctls the standard calls safe.
SAFE_SYSCTLS = [
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
]
#: PSS baseline "SELinux": the SELinux types a pod may ask for.
ALLOWED_SELINUX_TYPES = frozenset({
    "", "container_t", "container_init_t", "container_kvm_t", "container_engine_t",
})
_APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"


def _pod_sc(w: Workload) -> Mapping[str, Any]:
    return as_map(w.pod_spec.get("securityContext"))


def _sc(container: Mapping[str, Any]) -> Mapping[str, Any]:
    return as_map(container.get("securityContext"))


def _is_windows(w: Workload) -> bool:
    # PSS exempts Windows pods from the Linux-only restricted checks
    # (privilege escalation, seccomp, capabilities).
    return bool(dig(w.pod_spec, "os", "name") == "windows")


def _privileged(w: Workload, _: Mapping[str, Any]) -> Iterator[str]:
    if dig(_pod_sc(w), "windowsOptions", "hostProcess") is True:
        yield f"{w.title}: spec.securityContext.windowsOptions.hostProcess is true."
    for where, c in w.containers():
        if _sc(c).get("privileged") is True:
            yield f"{w.title}, {where}: securityContext.privileged is true."
        if dig(_sc(c), "windowsOptions", "hostProcess") is True:
            yield f"{w.title}, {where}: securityContext.windowsOptions.hostProcess is true."


def _privilege_escalation(w: Workload, _: Mapping[str, Any]) -> Iterator[str]:
    if _is_windows(w):
        return
    for where, c in w.containers():
        if _sc(c).get("allowPrivilegeEscalation") is not False:
            yield (f"{w.title}, {where}: securityContext.allowPrivilegeEscalation is "
                   f"{_sc(c).get('allowPrivilegeEscalation', 'unset')} (must be false).")


def _run_as_non_root(w: Workload, _: Mapping[str, Any]) -> Iterator[str]:
    pod_level = _pod_sc(w).get("runAsNonRoot") is True
    for where, c in w.containers():
        value = _sc(c).get("runAsNonRoot")
        if value is False:
            yield f"{w.title}, {where}: securityContext.runAsNonRoot is false."
        elif value is None and not pod_level:
            yield (f"{w.title}, {where}: runAsNonRoot is set neither on the container nor on "
                   f"the pod (spec.securityContext.runAsNonRoot).")


def _root_user(w: Workload, _: Mapping[str, Any]) -> Iterator[str]:
    if _pod_sc(w).get("runAsUser") == 0:
        yield f"{w.title}: spec.securityContext.runAsUser is 0 (root)."
    for where, c in w.containers():
        if _sc(c).get("runAsUser") == 0:
            yield f"{w.title}, {where}: securityContext.runAsUser is 0 (root)."


def _seccomp(w: Workload, _: Mapping[str, Any]) -> Iterator[str]:
    if _is_windows(w):
        return
    allowed = ("RuntimeDefault", "Localhost")
    pod_type = dig(_pod_sc(w), "seccompProfile", "type")
    if pod_type is not None and pod_type not in allowed:
        yield f"{w.title}: spec.securityContext.seccompProfile.type is {pod_type}."
    for where, c in w.containers():
        c_type = dig(_sc(c), "seccompProfile", "type")
        if c_type is not None and c_type not in allowed:
            yield f"{w.title}, {where}: securityContext.seccompProfile.type is {c_type}."
        elif c_type is None and pod_type not in allowed:
            yield (f"{w.title}, {where}: no seccompProfile on the container or the pod "
                   f"(it runs Unconfined on most nodes).")


def _drop_all(w: Workload, _: Mapping[str, Any]) -> Iterator[str]:
    if _is_windows(w):
        return
    for where, c in w.containers():
        drop = [str(x) for x in as_list(dig(_sc(c), "capabilities", "drop"))]
        if "ALL" not in drop:
            yield f"{w.title}, {where}: capabilities.drop is {drop or 'unset'}, without ALL."


def _added_capabilities(w: Workload, values: Mapping[str, Any]) -> Iterator[str]:
    if _is_windows(w):
        return
    allowed = {str(x) for x in as_list(values.get("allowedCapabilities"))}
    for where, c in w.containers():
        added = [str(x) for x in as_list(dig(_sc(c), "capabilities", "add"))]
        extra = [cap for cap in added if cap not in allowed]
        if extra:
            yield f"{w.title}, {where}: capabilities.add grants {extra}."


def _host_namespaces(w: Workload, _: Mapping[str, Any]) -> Iterator[str]:
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if w.pod_spec.get(field) is True:
            yield f"{w.title}: spec.{field} is true."


def _volumes(w: Workload) -> Iterator[tuple[str, str]]:
    for volume in as_list(w.pod_spec.get("volumes")):
        volume = as_map(volume)
        for key in volume:
            if key != "name" and volume.get(key) is not None:
                yield str(volume.get("name", "?")), key


def _host_path(w: Workload, _: Mapping[str, Any]) -> Iterator[str]:
    for name, kind in _volumes(w):
        if kind == "hostPath":
            yield f"{w.title}: volume '{name}' is a hostPath volume."


def _volume_types(w: Workload, _: Mapping[str, Any]) -> Iterator[str]:
    for name, kind in _volumes(w):
        # hostPath has a policy of its own (pss-host-path-volumes).
        if kind not in RESTRICTED_VOLUME_TYPES and kind != "hostPath":
            yield f"{w.title}: volume '{name}' is of type {kind}."


def _host_ports(w: Workload, values: Mapping[str, Any]) -> Iterator[str]:
    allowed = {float(x) for x in as_list(values.get("allowedHostPorts"))}
    for where, c in w.containers():
        for port in as_list(c.get("ports")):
            host_port = as_map(port).get("hostPort")
            if host_port and float(host_port) not in allowed:
                yield f"{w.title}, {where}: hostPort {int(host_port)}."


def _proc_mount(w: Workload, _: Mapping[str, Any]) -> Iterator[str]:
    for where, c in w.containers():
        mount = _sc(c).get("procMount")
        if mount not in (None, "Default"):
            yield f"{w.title}, {where}: securityContext.procMount is {mount}."


#: PSS baseline "Host Probes / Lifecycle Hooks" (1.34+): handlers whose host must be unset.
_PROBE_HANDLERS = (
    ("livenessProbe",), ("readinessProbe",), ("startupProbe",),
    ("lifecycle", "postStart"), ("lifecycle", "preStop"),
)


def _probe_hosts(w: Workload, _: Mapping[str, Any]) -> Iterator[str]:
    for where, c in w.containers():
        for path in _PROBE_HANDLERS:
            for action in ("httpGet", "tcpSocket"):
                host = dig(c, *path, action, "host")
                if host not in (None, ""):
                    field = ".".join((*path, action, "host"))
                    yield f"{w.title}, {where}: {field} is {host}."


def _sysctls(w: Workload, values: Mapping[str, Any]) -> Iterator[str]:
    allowed = {str(x) for x in as_list(values.get("allowedSysctls"))}
    for sysctl in as_list(_pod_sc(w).get("sysctls")):
        name = str(as_map(sysctl).get("name"))
        if name not in allowed:
            yield f"{w.title}: sysctl {name} is not in the safe set."


def _apparmor(w: Workload, _: Mapping[str, Any]) -> Iterator[str]:
    allowed = ("RuntimeDefault", "Localhost")
    pod_type = dig(_pod_sc(w), "appArmorProfile", "type")
    if pod_type is not None and pod_type not in allowed:
        yield f"{w.title}: spec.securityContext.appArmorProfile.type is {pod_type}."
    for where, c in w.containers():
        c_type = dig(_sc(c), "appArmorProfile", "type")
        if c_type is not None and c_type not in allowed:
            yield f"{w.title}, {where}: securityContext.appArmorProfile.type is {c_type}."
    for key, value in as_map(w.pod_metadata.get("annotations")).items():
        if str(key).startswith(_APPARMOR_ANNOTATION):
            value = str(value)
            if value != "runtime/default" and not value.startswith("localhost/"):
                yield f"{w.title}: annotation {key} is {value}."


def _selinux(w: Workload, _: Mapping[str, Any]) -> Iterator[str]:
    contexts = [("the pod", _pod_sc(w))] + [(where, _sc(c)) for where, c in w.containers()]
    for where, sc in contexts:
        options = as_map(sc.get("seLinuxOptions"))
        se_type = options.get("type")
        if se_type is not None and se_type not in ALLOWED_SELINUX_TYPES:
            yield f"{w.title}, {where}: seLinuxOptions.type is {se_type}."
        for field in ("user", "role"):
            if options.get(field):
                yield f"{w.title}, {where}: seLinuxOptions.{field} is set ({options[field]})."


def _pss(name: str, control: str, why: str, severity: Severity, remediation: str,
         check: Callable[[Workload, Mapping[str, Any]], Iterable[str]],
         config: Mapping[str, Mapping[str, Any]] | None = None,
         ) -> ResourceValidationPolicy:
    return workload_policy(
        name=name, description=f"{control} {why}", severity=severity, level=MANDATORY,
        remediation=remediation, check=check, config=config,
    )


POLICIES: list[ResourceValidationPolicy] = [
    _pss("pss-privileged-containers",
         "Containers must not be privileged or Windows HostProcess (PSS baseline: "
         "Privileged Containers, HostProcess).",
         "A privileged container has every device and capability of the node: it is root "
         "on the host.", Severity.CRITICAL,
         "Remove securityContext.privileged and windowsOptions.hostProcess, or set them to "
         "false.", _privileged),
    _pss("pss-privilege-escalation",
         "Containers must set allowPrivilegeEscalation: false (PSS restricted: Privilege "
         "Escalation).",
         "Otherwise a setuid binary in the image can gain more privileges than the process "
         "started with.", Severity.HIGH,
         "Set securityContext.allowPrivilegeEscalation: false on every container.",
         _privilege_escalation),
    _pss("pss-run-as-non-root",
         "Pods must run as non-root (PSS restricted: Running as Non-root).",
         "A root process in a container is one kernel bug away from root on the node.",
         Severity.HIGH,
         "Set spec.securityContext.runAsNonRoot: true on the pod (and never false on a "
         "container); build the image with a non-root USER.", _run_as_non_root),
    _pss("pss-run-as-non-root-user",
         "Pods must not run as user 0 (PSS restricted: Running as Non-root user).",
         "runAsUser: 0 is root whatever runAsNonRoot says.", Severity.HIGH,
         "Remove runAsUser: 0 or set a non-zero UID (e.g. 65532).", _root_user),
    _pss("pss-seccomp-profile",
         "Pods must run with the RuntimeDefault or a Localhost seccomp profile (PSS "
         "restricted: Seccomp).",
         "Without a seccomp filter the container can use every system call of the kernel.",
         Severity.HIGH,
         "Set spec.securityContext.seccompProfile.type: RuntimeDefault.", _seccomp),
    _pss("pss-drop-all-capabilities",
         "Containers must drop ALL capabilities (PSS restricted: Capabilities).",
         "The default capability set includes NET_RAW and others that help an attacker "
         "spoof traffic or escalate.", Severity.HIGH,
         "Set securityContext.capabilities.drop: [ALL] on every container.", _drop_all),
    _pss("pss-added-capabilities",
         "Containers may add no capability beyond NET_BIND_SERVICE (PSS restricted: "
         "Capabilities).",
         "Added capabilities (SYS_ADMIN, NET_ADMIN, ...) break the container's isolation "
         "from the node.", Severity.CRITICAL,
         "Remove the capability from securityContext.capabilities.add.", _added_capabilities,
         {"allowedCapabilities": string_list_schema(
             "Capabilities a container may add.", ["NET_BIND_SERVICE"])}),
    _pss("pss-host-namespaces",
         "Pods must not share the host's network, PID or IPC namespace (PSS baseline: Host "
         "Namespaces).",
         "A pod in a host namespace sees the node's processes or traffic and bypasses "
         "NetworkPolicy.", Severity.CRITICAL,
         "Remove hostNetwork, hostPID and hostIPC from the pod spec.", _host_namespaces),
    _pss("pss-host-path-volumes",
         "Pods must not mount hostPath volumes (PSS baseline: HostPath Volumes).",
         "A hostPath volume exposes the node's file system (kubelet credentials, the "
         "container runtime socket) to the pod.", Severity.CRITICAL,
         "Use an emptyDir, a ConfigMap/Secret or a PersistentVolumeClaim instead.",
         _host_path),
    _pss("pss-volume-types",
         "Pods may use only configMap, csi, downwardAPI, emptyDir, ephemeral, "
         "persistentVolumeClaim, projected and secret volumes (PSS restricted: Volume "
         "Types).",
         "Other volume sources (nfs, iscsi, rbd, ...) mount storage directly on the node "
         "outside the cluster's access control.", Severity.MEDIUM,
         "Replace the volume with a PersistentVolumeClaim bound to that storage.",
         _volume_types),
    _pss("pss-host-ports",
         "Containers must not bind host ports (PSS baseline: Host Ports).",
         "A hostPort opens the pod on the node's address, around Services and "
         "NetworkPolicy.", Severity.HIGH,
         "Remove ports[].hostPort and expose the port through a Service.", _host_ports,
         {"allowedHostPorts": {"type": "array", "items": {"type": "integer"}, "default": [],
                               "description": "Host ports a container may bind."}}),
    _pss("pss-proc-mount",
         "Containers must use the Default /proc mount (PSS baseline: /proc Mount Type).",
         "An Unmasked /proc exposes kernel interfaces the runtime normally hides.",
         Severity.HIGH, "Remove securityContext.procMount or set it to Default.",
         _proc_mount),
    _pss("pss-host-probes",
         "Probes and lifecycle hooks must not name a host (PSS baseline: Host Probes / "
         "Lifecycle Hooks, Kubernetes 1.34+).",
         "The kubelet makes those requests from the node, so a host field turns them into "
         "requests to any address the node can reach.", Severity.HIGH,
         "Remove httpGet.host and tcpSocket.host from the probes and lifecycle hooks (they "
         "default to the pod's IP).", _probe_hosts),
    _pss("pss-sysctls",
         "Pods may set only the sysctls PSS calls safe (PSS baseline: Sysctls).",
         "Other sysctls change kernel settings shared with every pod on the node.",
         Severity.HIGH, "Remove the sysctl from spec.securityContext.sysctls.", _sysctls,
         {"allowedSysctls": string_list_schema("Sysctls a pod may set.", SAFE_SYSCTLS)}),
    _pss("pss-apparmor",
         "Pods must not turn AppArmor off (PSS baseline: AppArmor).",
         "An Unconfined AppArmor profile removes the runtime's mandatory access control.",
         Severity.HIGH,
         "Remove appArmorProfile or set its type to RuntimeDefault or Localhost.", _apparmor),
    _pss("pss-selinux",
         "Pods must not choose a custom SELinux user, role or type (PSS baseline: SELinux).",
         "A custom SELinux context can lift the confinement of container_t.", Severity.HIGH,
         "Remove seLinuxOptions.user/role and use one of the container_* types.", _selinux),
]
