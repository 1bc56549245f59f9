"""Two servers whose permission profiles are created by this same program and referenced
by name, exactly as the OEP's YAML writes it (``{type: configMap, configMap: {name: ...}}``):
one a ``PermissionProfile`` component, one a plain ConfigMap. The first ``pulumi up`` of an
empty cluster must work: the references resolve in the program, not by a read that
could race the creation."""

import json

import pulumi_kubernetes as k8s

from ome_mcp_components import MCPServer, PermissionProfile

PermissionProfile("db-only", {
    "metadata": {"namespace": "same-program"},
    "spec": {"network": {"outbound": {"allowHost": ["10.20.0.0/16"], "allowPort": [5432]}}},
})
k8s.core.v1.ConfigMap("cache-only", metadata={"name": "cache-only", "namespace": "same-program"},
                      data={"permissions.json": json.dumps(
                          {"network": {"outbound": {"allowHost": ["10.30.0.0/16"],
                                                    "allowPort": [6379]}}})})

for name, profile in (("orders", "db-only"), ("sessions", "cache-only")):
    MCPServer(name, {
        "metadata": {"namespace": "same-program"},
        "spec": {
            "image": f"ghcr.io/acme/{name}-mcp:1.0.0",
            "transport": "streamable-http",
            "permissionProfile": {"type": "configMap", "configMap": {"name": profile}},
            "oidcConfig": {"type": "kubernetes", "kubernetes": {"audience": name}},
        },
    })
