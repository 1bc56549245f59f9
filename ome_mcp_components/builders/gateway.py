"""The gateway contract: everything the components know about the authenticating proxy.

This module states the facts (image, arguments, environment, ports, paths) and writes
the config files; the Kubernetes objects that carry them out are built in ``builders``
(``gateway_container``, ``gateway_deployment``, ``rbac``, ``service``).

Image
    ToolHive's proxy runner, ``ghcr.io/stacklok/toolhive/proxyrunner:v0.44.0``
    (``defaults.GATEWAY_IMAGE``): the image the ToolHive operator chart of release v0.44.0 runs
    (``deploy/charts/operator/values.yaml``, ``toolhiveRunnerImage``), built by ko from
    ``cmd/thv-proxyrunner``; its entrypoint is the ``thv-proxyrunner`` binary.

How it is started
    ``thv-proxyrunner run <image>``. The positional argument is required by the command
    line and overrides the RunConfig's ``image``; everything else comes from the RunConfig,
    which the runner reads from ``/etc/runconfig/runconfig.json`` (its first search path;
    flags are then ignored). Environment (``ENVIRONMENT``): as the operator sets it
    (``TOOLHIVE_RUNTIME=kubernetes``, ``HOME``/``XDG_CONFIG_HOME=/tmp``, an ``emptyDir``
    since the root file system is read-only, ``UNSTRUCTURED_LOGS=false``), plus
    ``TOOLHIVE_USAGE_METRICS_ENABLED=false`` and ``TOOLHIVE_SKIP_UPDATE_CHECK=true``: the
    runner otherwise reports usage to Stacklok every 15 minutes. The only secrets that
    reach the gateway are OTLP headers the user names (``telemetry.otlp.headers``), as
    ``secretKeyRef`` variables (see *Audit log and telemetry*).

Mounts
    ``<n>-gateway`` key ``runconfig.json`` at ``/etc/runconfig`` (read-only); ``/tmp``; and a
    projected service-account volume (token without explicit audience, ``kube-root-ca.crt``,
    the namespace) at ``/var/run/secrets/kubernetes.io/serviceaccount``, mounted explicitly
    (``automountServiceAccountToken: false``). The runner needs it on every gateway, not
    only for Kubernetes OIDC with ``useClusterAuth`` and stdio attach: at start-up it
    builds a Kubernetes client from the in-cluster config (``pkg/container`` runtime
    factory), which fails without a token, even when it only proxies. The gateway's
    ServiceAccount has no permission at all except on stdio (``builders.rbac``).
    The authz ConfigMap (``<n>-authz`` or the user's) is not mounted: with a RunConfig
    file the runner enforces only the authz config embedded in it (``authz_config``;
    ``authz_config_path`` alone is ignored), so the policies are embedded.

What the gateway proxies to (RunConfig fields we set, and why)
    ``schema_version`` ``v0.1.0``; ``name``/``container_name``/``base_name`` ``<n>`` (the
    name is also the Cedar resources' parent ``MCP::"<n>"``); ``host`` ``0.0.0.0`` and
    ``port`` (``gateway_port``: ``spec.port``, or 8080 below 1024 since the gateway may
    not bind privileged ports; the public Service maps ``spec.port`` to the named port
    ``mcp``); ``transport``; ``proxy_mode``; ``container_labels`` (ToolHive's standard
    labels; ``toolhive-transport`` stops the runner probing a stdio server with
    ``initialize``).

    - HTTP transports (streamable-http, sse): ``remote_url`` ``http://<n>-backend.<ns>.svc
      .cluster.local:<targetPort>`` without a path, so request paths (``/mcp``, ``/sse``,
      ``/messages``) pass through unchanged. With an empty ``remote_url`` the runner would
      deploy the server itself (a StatefulSet it server-side-applies), not proxy to ours;
      ``target_host``/``target_port`` are only used on that path and are not set.
      ``TOOLHIVE_REMOTE_HEALTHCHECKS=true`` turns on ``/health`` (and the runner's health
      monitor of the backend), which the probes use.
    - Remote servers: ``remote_url`` is ``spec.url`` (a path in it replaces every request
      path, ToolHive's semantics), but for sse only its origin and query: an sse client
      uses two paths, the event stream and the endpoint the server announces on it, and
      with the path replaced its POSTs would reach the stream (the real runner answers
      them 405, ``tests/gateway``); so request paths pass through to a Remote sse server.
      ``/health`` stays off (no pinging of a third party); the probes check the port.
    - stdio: the runner attaches to container ``mcp`` of the first pod labelled
      ``app=<n>`` (``stdio_pod_labels``) in its namespace through the API server
      (``pods/attach``) and serves it as streamable-http (``proxy_mode``). Before that it
      would server-side-apply (with force) a StatefulSet ``<n>`` of its own; it skips that
      when the existing StatefulSet's pod template carries a higher
      ``toolhive.stacklok.dev/mcpserver-generation`` than the RunConfig's
      ``mcpserver_generation`` (``stdio_pod_annotations`` marks ours as owned by us), and
      its Role does not allow it anyway: until our StatefulSet exists and is ready the
      runner exits and is restarted. One gateway replica only (one attach).

    ``oidc_config`` (ToolHive's ``TokenValidatorConfig``, whose JSON keys are its Go field
    names: ``Issuer``, ``Audience``, ``JWKSURL``, ``IntrospectionURL``, ``CACertPath``,
    ``AuthTokenFile``, ``AllowPrivateIP``, ``InsecureAllowHTTP`` (always false),
    ``ResourceURL``) and, like the operator, ``thv_ca_bundle``/``jwks_auth_token_file``;
    ``authz_config`` (``cedarv1``: policies, ``entities_json``, ``group_entity_type``
    ``Group`` so the OEP's ``principal in Group::"..."`` matches the token's group claim);
    ``tools_filter`` (omitted when empty: no filtering). Not set: client id/secret (the
    OEP has none), scopes (default ``openid``), ``middleware_configs`` (the runner derives
    them from the fields above).

Audit log and telemetry (``observability.py`` says what can be asked for)
    ``audit_config`` (``pkg/audit/config.go``, ``audit.Config``; keys ``enabled``,
    ``component``, ``eventTypes``, ``excludeEventTypes``, ``includeRequestData``,
    ``includeResponseData``, ``maxDataSize``): on by default. The runner adds its audit
    middleware whenever the key is present (``pkg/runner/middleware.go``,
    ``PopulateMiddlewareConfigs``; ``enabled`` itself is not consulted), so "off" omits
    the key. With no ``logFile`` the records go to the gateway's stdout, one JSON object
    per request at level ``AUDIT`` (``pkg/audit/auditor.go``, ``logAuditEvent``): the
    event type (``mcp_tool_call``, ...), ``outcome`` (``success``, ``denied`` for a 401 or
    403, ``failure``, ``application_error``), ``subjects`` (``user``, ``user_id`` from the
    token, ``client_name``/``client_version``), ``source`` (client address, user agent),
    ``target`` (``endpoint``, ``method``, ``type`` tool/prompt/resource, ``name``),
    ``metadata.extra.duration_ms``, ``component``.

    ``telemetry_config`` (``pkg/telemetry/config.go``, ``telemetry.Config``; keys
    ``enablePrometheusMetricsPath``, ``serviceName``, ``endpoint``, ``insecure``,
    ``tracingEnabled``, ``metricsEnabled``, ``samplingRate``): Prometheus metrics on by
    default, served without authentication at ``/metrics`` on the gateway's own port
    (``pkg/transport/proxy/*``: mounted beside the MCP endpoint, outside the
    middlewares), hence scrape annotations naming that port. OTLP export when asked:
    ``endpoint`` is ``host:port[/path]`` (the runner strips a scheme; ``insecure`` says
    plain HTTP). Header values are never in the RunConfig (whose ``headers`` would land in
    a ConfigMap): each comes from its Secret as ``OME_OTLP_HEADER_<i>``, and
    ``OTEL_EXPORTER_OTLP_HEADERS`` joins them (``Name=$(OME_OTLP_HEADER_<i>)``, which
    Kubernetes expands). The OpenTelemetry exporters read that variable because the
    RunConfig sets no headers (toolhive-core ``telemetry/providers/otlp``: ``WithHeaders``
    only for non-empty headers; the otlptracehttp/otlpmetrichttp env config). A value
    must be a header value in that variable's syntax (no ``,``; ``%`` escapes).

Caller credentials
    The runner forwards the caller's ``Authorization`` header to the server (it strips it
    only when its embedded authorization server is used, which we do not configure), so a
    server, hosted or Remote, sees the caller's token: give each server its own audience.

How it is checked
    Read from ToolHive's source at v0.44.0 (``pkg/runner/config.go``,
    ``cmd/thv-proxyrunner``, ``pkg/container/kubernetes``, ``pkg/authz``,
    ``cmd/thv-operator/controllers``), covered by tests on the generated config, and run:
    ``tests/gateway`` starts the runner built from that module (``devtools/toolchain.py``)
    with the RunConfig, args and env rendered here, in front of a real MCP server, with a
    real issuer (a test one, and the local API server for ``kubernetes`` OIDC) and a real
    MCP client; docs/auth.md lists what each test shows. Learned there and reflected in
    the warnings (``auth.checks``): the runner knows tool annotations only from the
    ``tools/list`` answers it forwards over streamable-http, and over sse it filters no
    list and answers refusals on the POST. The one thing not run is the stdio attach
    (it goes through a kubelet; there is none here), only the calls before it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ome_mcp_components.models.observability import AuditOptions, TelemetryOptions
from ome_mcp_components.plan.auth import cedar, mcp_model
from ome_mcp_components.plan.context import AuthzSettings, OIDCSettings, ServerContext, ServerShape
from ome_mcp_components.vocabulary import names
from ome_mcp_components.vocabulary.keys import AUTHZ_KEY, RUN_CONFIG_KEY

#: Directory the runner reads ``runconfig.json`` from first.
CONFIG_DIR = "/etc/runconfig"
#: Name of the gateway's container port (the public Service targets it by name).
GATEWAY_PORT_NAME = "mcp"
#: RunConfig schema version of the pinned runner (``runner.CurrentSchemaVersion``).
SCHEMA_VERSION = "v0.1.0"
#: The gateway's health endpoint (HTTP transports; stdio always serves it).
HEALTH_PATH = "/health"
#: Lowest port the gateway can bind (it runs without ``NET_BIND_SERVICE``) ...
FIRST_UNPRIVILEGED_PORT = 1024
#: ... and the port it listens on when ``spec.port`` is below that.
FALLBACK_PORT = 8080
#: Positional argument for a Remote server (the runner needs one; it deploys nothing).
REMOTE_ARGUMENT = "remote"
#: Label by which the runner finds the stdio server's pod (``pods?labelSelector=app=<n>``).
STDIO_POD_LABEL = "app"
#: Pod-template annotation the runner compares with ``mcpserver_generation`` before it
#: applies a StatefulSet of its own; ours carries the largest value, so it never does.
STDIO_GENERATION_ANNOTATION = "toolhive.stacklok.dev/mcpserver-generation"
STDIO_GENERATION_OWNED = str(2**63 - 1)
STDIO_RUN_GENERATION = 1
#: The gateway's environment (besides ``TOOLHIVE_REMOTE_HEALTHCHECKS`` for hosted HTTP
#: servers and ``OPERATOR_OPENSHIFT`` for stdio), each for a reason:
ENVIRONMENT = {
    "HOME": "/tmp",  # the runner writes its client config under HOME/XDG (an emptyDir)
    "TOOLHIVE_RUNTIME": "kubernetes",  # the container runtime it builds a client for
    "TOOLHIVE_SKIP_UPDATE_CHECK": "true",  # no calls to ToolHive's update API
    "TOOLHIVE_USAGE_METRICS_ENABLED": "false",  # no usage metrics sent to Stacklok
    "UNSTRUCTURED_LOGS": "false",  # JSON logs, as under the ToolHive operator
    "XDG_CONFIG_HOME": "/tmp",
}
#: Where the runner serves Prometheus metrics (on the gateway's port, unauthenticated).
METRICS_PATH = "/metrics"
#: The variable the OpenTelemetry exporters read their headers from ...
OTLP_HEADERS_ENV = "OTEL_EXPORTER_OTLP_HEADERS"
#: ... composed of one variable per header, each from its Secret (sorted before it).
OTLP_HEADER_ENV_PREFIX = "OME_OTLP_HEADER_"
#: The writable directory the runner needs (HOME and XDG point there).
TMP_DIR = "/tmp"


def gateway_args(ctx: ServerContext) -> list[str]:
    """The runner's arguments: ``run`` and the server image (a placeholder for Remote)."""
    return ["run", ctx.spec.image if ctx.hosted and ctx.spec.image else REMOTE_ARGUMENT]


def gateway_environment(ctx: ServerContext) -> dict[str, str]:
    """The variables the runner needs (``ENVIRONMENT``, and per transport below)."""
    env = dict(ENVIRONMENT)
    if ctx.hosted and ctx.spec.is_http:
        env["TOOLHIVE_REMOTE_HEALTHCHECKS"] = "true"
    if is_stdio(ctx):
        # the platform only shapes the StatefulSet the runner would apply (it never does);
        # naming it spares the API discovery it would otherwise need before attaching
        env["OPERATOR_OPENSHIFT"] = "false"
    return env


def serves_health(ctx: ServerContext) -> bool:
    """Whether the runner serves ``HEALTH_PATH`` (hosted servers); for a Remote one it
    stays off (no pinging of a third party) and only the port can be checked."""
    return ctx.hosted


def gateway_port(ctx: ServerContext) -> int:
    """The port the gateway listens on (container port ``mcp``)."""
    port = ctx.spec.port
    return port if port >= FIRST_UNPRIVILEGED_PORT else FALLBACK_PORT


def run_config(ctx: ServerContext) -> dict[str, Any]:
    """The RunConfig JSON object the gateway of ``ctx`` reads (see the module docstring)."""
    spec, n = ctx.spec, ctx.name
    transport = spec.resolved_transport
    port = gateway_port(ctx)
    config: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "name": n,
        "container_name": n,
        "base_name": n,
        "image": spec.image or "",
        "transport": transport,
        "proxy_mode": "streamable-http" if transport == "stdio" else transport,
        "host": "0.0.0.0",
        "port": port,
        "container_labels": {"toolhive": "true", "toolhive-name": n, "toolhive-basename": n,
                             "toolhive-transport": transport, "toolhive-port": str(port)},
    }
    if is_stdio(ctx):
        config["mcpserver_generation"] = STDIO_RUN_GENERATION
    else:
        config["remote_url"] = _upstream(ctx)
    if ctx.oidc is not None:
        config["oidc_config"] = oidc_config(ctx.oidc)
        if ctx.oidc.ca_bundle_path:
            config["thv_ca_bundle"] = ctx.oidc.ca_bundle_path
        if ctx.oidc.jwks_auth_token_path:
            config["jwks_auth_token_file"] = ctx.oidc.jwks_auth_token_path
    if ctx.authz is not None:
        config["authz_config"] = cedar_config(ctx.authz)
    if spec.tools_filter:
        config["tools_filter"] = list(spec.tools_filter)
    if ctx.audit.enabled:
        config["audit_config"] = audit_config(ctx.audit, n)
    if ctx.telemetry.enabled:
        config["telemetry_config"] = telemetry_config(ctx.telemetry, n)
    return config


def audit_config(audit: AuditOptions, n: str) -> dict[str, Any]:
    """ToolHive's ``audit.Config`` (``pkg/audit/config.go``) for ``audit``."""
    config: dict[str, Any] = {
        "enabled": True,
        "component": audit.component or n,
        "includeRequestData": audit.include_request_data,
        "includeResponseData": audit.include_response_data,
        "maxDataSize": audit.max_data_size,
    }
    if audit.event_types is not None:
        config["eventTypes"] = list(audit.event_types)
    if audit.exclude_event_types:
        config["excludeEventTypes"] = list(audit.exclude_event_types)
    return config


def telemetry_config(telemetry: TelemetryOptions, n: str) -> dict[str, Any]:
    """ToolHive's ``telemetry.Config`` (``pkg/telemetry/config.go``) for ``telemetry``;
    never any header (they come from Secrets through the environment)."""
    otlp = telemetry.otlp
    config: dict[str, Any] = {
        "enablePrometheusMetricsPath": telemetry.metrics.enabled,
        "serviceName": (otlp.service_name if otlp and otlp.service_name else n),
        "tracingEnabled": bool(otlp and otlp.tracing),
        "metricsEnabled": bool(otlp and otlp.metrics),
    }
    if otlp is not None:
        config["endpoint"] = otlp.host_port + otlp.path
        config["insecure"] = otlp.insecure
        if otlp.tracing:
            config["samplingRate"] = _rate(otlp.sampling_rate)
    return config


def _rate(value: float) -> str:
    """A sampling rate as ToolHive writes it (``strconv.FormatFloat(v, 'f', -1, 64)``)."""
    text = repr(float(value))
    return text.removesuffix(".0") if text.endswith(".0") else text


def oidc_config(oidc: OIDCSettings) -> dict[str, Any]:
    """ToolHive's ``TokenValidatorConfig`` as JSON (Go field names, no tags)."""
    optional = {"Audience": oidc.audience, "JWKSURL": oidc.jwks_url,
                "IntrospectionURL": oidc.introspection_url, "CACertPath": oidc.ca_bundle_path,
                "AuthTokenFile": oidc.jwks_auth_token_path}
    return {
        "Issuer": oidc.issuer,
        **{key: value for key, value in optional.items() if value},
        "AllowPrivateIP": oidc.allow_private_ip,
        "InsecureAllowHTTP": False,
        "ResourceURL": oidc.resource_url,
    }


def cedar_config(authz: AuthzSettings) -> dict[str, Any]:
    """ToolHive's ``cedarv1`` authorization config for ``authz`` (``group_entity_type``
    ``Group`` unless a ConfigMap set another)."""
    return {
        "version": cedar.CONFIG_VERSION,
        "type": cedar.CONFIG_TYPE,
        "cedar": {"policies": list(authz.policies), "entities_json": authz.entities_json,
                  "group_entity_type": mcp_model.GROUP_ENTITY_TYPE, **authz.cedar_options},
    }


def to_json(value: Any) -> str:
    """Canonical JSON of a config file: sorted keys, two-space indent, final newline."""
    return json.dumps(value, indent=2, sort_keys=True) + "\n"


@dataclass(frozen=True)
class ConfigFiles:
    """The gateway's files of one server, rendered: the RunConfig's text and, for inline
    authz, the Cedar config's."""

    run_config: str
    authz: str | None


#: The last context rendered and its files: the ConfigMaps and the gateway's config hash
#: of one server are filled from the same context, one after the other, and share one
#: rendering (the pretty-printing JSON encoder is pure Python; bench/README.md).
_last_files: tuple[ServerContext, ConfigFiles] | None = None


def config_files(ctx: ServerContext) -> ConfigFiles:
    """The gateway's files of ``ctx`` (a context is immutable: rendered once)."""
    global _last_files
    last = _last_files
    if last is not None and last[0] is ctx:
        return last[1]
    files = ConfigFiles(
        run_config=to_json(run_config(ctx)),
        authz=None if ctx.authz is None else to_json(cedar_config(ctx.authz)),
    )
    _last_files = (ctx, files)
    return files


def config_data(ctx: ServerContext) -> dict[str, str]:
    """``data`` of ConfigMap ``<n>-gateway``."""
    return {RUN_CONFIG_KEY: config_files(ctx).run_config}


def authz_config_data(ctx: ServerContext) -> dict[str, str]:
    """``data`` of ConfigMap ``<n>-authz`` (inline authz only): the policies in ToolHive's
    authz file format, a readable record of what the RunConfig embeds."""
    authz = config_files(ctx).authz
    return {} if authz is None else {AUTHZ_KEY: authz}


def config_hash(config_data: Mapping[str, str]) -> str:
    """sha256 (hex) of config files: the gateway pod-template annotation, so that any
    change of their content rolls the gateway pods."""
    canonical = json.dumps(dict(config_data), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def stdio_pod_labels(ctx: ServerContext) -> dict[str, str]:
    """Labels the stdio StatefulSet's pod template must carry for the runner to find it."""
    return {STDIO_POD_LABEL: ctx.name}


def stdio_pod_annotations(ctx: ServerContext) -> dict[str, str]:
    """Annotations the stdio StatefulSet's pod template must carry so that the runner
    leaves the StatefulSet to us."""
    return {STDIO_GENERATION_ANNOTATION: STDIO_GENERATION_OWNED}


def is_stdio(shape: ServerShape) -> bool:
    """A hosted stdio server: the runner attaches to its pod through the API server."""
    return shape.hosted and shape.spec.resolved_transport == "stdio"


def _upstream(ctx: ServerContext) -> str:
    """Where an HTTP gateway forwards to: the backend Service, or a Remote server's URL."""
    if not ctx.hosted:
        assert ctx.spec.url is not None  # validated: a Remote server has a url
        if ctx.spec.resolved_transport == "sse":
            parts = urlsplit(ctx.spec.url)
            return urlunsplit((parts.scheme, parts.netloc, "", parts.query, ""))
        return ctx.spec.url
    host = f"{names.backend_service(ctx.name)}.{ctx.namespace}.svc.cluster.local"
    return f"http://{host}:{ctx.spec.resolved_target_port}"
