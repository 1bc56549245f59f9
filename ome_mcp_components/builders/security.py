"""Security contexts of every pod the components render, and the rule each field serves.

The fields follow the *restricted* Pod Security Standard
(https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted) plus
a read-only root file system (writable paths come only from the permission profile, as
``emptyDir`` volumes). ``podTemplateSpec`` may loosen a field only by setting it
explicitly; the policy pack reports it.
"""

from __future__ import annotations

from typing import Any

#: A non-root UID/GID (the "nonroot" user of distroless images) so that images whose
#: USER is root still start under ``runAsNonRoot``; override with podTemplateSpec.
NON_ROOT_ID = 65532


def pod_security_context() -> dict[str, Any]:
    """The pod-level security context."""
    return {
        # restricted: "Running as Non-root" - containers must not run as UID 0
        "runAsNonRoot": True,
        # restricted: "Running as Non-root user" - runAsUser must not be 0
        "runAsUser": NON_ROOT_ID,
        "runAsGroup": NON_ROOT_ID,
        # volumes (emptyDir for write paths) owned by the pod's group
        "fsGroup": NON_ROOT_ID,
        # restricted: "Seccomp" - RuntimeDefault or Localhost
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security_context() -> dict[str, Any]:
    """The container-level security context of every container."""
    return {
        # baseline: "Privileged Containers" - must not be privileged
        "privileged": False,
        # restricted: "Privilege Escalation" - must be false
        "allowPrivilegeEscalation": False,
        # restricted: "Capabilities" - drop ALL (add at most NET_BIND_SERVICE; we add none)
        "capabilities": {"drop": ["ALL"]},
        # restricted: "Running as Non-root", repeated per container
        "runAsNonRoot": True,
        # not a PSS rule: immutable container file system; writes go to emptyDir volumes
        "readOnlyRootFilesystem": True,
    }
