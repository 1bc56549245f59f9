"""The gateway's audit log and telemetry: the ``audit`` and ``telemetry`` component options.

Both are **on by default**: every request through the gateway is written to the audit
log, and the gateway serves Prometheus metrics. Options (snake_case, like the other
component arguments; unknown keys are errors):

``audit`` (``False`` or ``{"enabled": False}`` turns it off)
    ``event_types`` (only these; default every type), ``exclude_event_types``,
    ``include_request_data`` / ``include_response_data`` (default off: tool arguments
    and results may hold personal data or secrets), ``max_data_size`` (bytes of request
    or response data kept per record, default 1024), ``component`` (the record's
    ``component``, default the server's name).

``telemetry``
    ``metrics``: ``enabled`` (Prometheus ``/metrics`` on the gateway's port, default on),
    ``scrape_namespace_selector`` / ``scrape_pod_selector`` (label selectors: who may
    scrape, added to the gateway's NetworkPolicy ingress; default nobody beyond the
    gateway's clients), ``service_monitor`` (``{"enabled": True, "interval": "30s",
    "labels": {...}}``: a ``monitoring.coreos.com/v1`` ServiceMonitor, default off).
    ``otlp``: OpenTelemetry export, off unless given: ``endpoint`` (an ``http(s)://``
    URL of an OTLP/HTTP collector; ``http`` means plain text), ``service_name`` (default
    the server's name), ``tracing`` and ``metrics`` (default both on), ``sampling_rate``
    (0 to 1, default 0.05), ``headers`` (each ``{"name": ..., "secret_key_ref":
    {"name": <Secret>, "key": <key>}}``: header values come from Secrets only).

These models only say what was asked for; ``gateway.py`` turns them into the RunConfig
(``audit_config``, ``telemetry_config``) and the gateway's environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ome_mcp_components.errors import Issue, SpecValidationError
from ome_mcp_components.models import parse_model
from ome_mcp_components.models.base import ConfigKey, K8sName
from ome_mcp_components.models.selectors import LabelSelector, canonical

#: The audit event types ToolHive's proxy runner accepts (``pkg/audit/config.go``,
#: ``Config.Validate``, v0.44.0), less the vMCP workflow events a proxy never emits.
AuditEventType = Literal[
    "mcp_initialize", "mcp_tool_call", "mcp_tools_list", "mcp_resource_read",
    "mcp_resources_list", "mcp_prompt_get", "mcp_prompts_list", "mcp_notification",
    "mcp_ping", "mcp_logging", "mcp_completion", "mcp_roots_list_changed",
    "mcp_request", "http_request",
]
#: What ToolHive keeps of request/response data by default (``audit.DefaultConfig``).
DEFAULT_MAX_DATA_SIZE = 1024
#: ToolHive's default trace sampling rate (``telemetry.DefaultConfig``).
DEFAULT_SAMPLING_RATE = 0.05
#: Go's ``http.Header`` canonical form is not required, but a header name must be a token.
_HEADER_NAME = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"
#: ``prometheus-operator``'s Duration pattern (``monitoring.coreos.com/v1``).
_DURATION = (r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?"
             r"(([0-9]+)s)?(([0-9]+)ms)?)$")


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AuditOptions(_Options):
    """The gateway's audit log: one JSON record per MCP request on its stdout."""

    enabled: bool = Field(True, description="Write the audit log.")
    event_types: list[AuditEventType] | None = Field(
        None, description="Audit only these event types (default: every type).")
    exclude_event_types: list[AuditEventType] = Field(
        default_factory=list, description="Never audit these event types.")
    include_request_data: bool = Field(
        False, description="Keep the request body (tool arguments) in each record.")
    include_response_data: bool = Field(
        False, description="Keep the response body (tool results) in each record.")
    max_data_size: int = Field(
        DEFAULT_MAX_DATA_SIZE, ge=1, strict=True,
        description="Bytes of request/response data kept per record.")
    component: str | None = Field(
        None, min_length=1, description="The records' component (default: the server name).")


class SecretKeyRef(_Options):
    """A key of a Secret in the server's namespace."""

    name: K8sName = Field(description="The Secret's name.")
    key: ConfigKey = Field(description="The key within the Secret.")


class OTLPHeader(_Options):
    """A header sent to the OTLP collector; its value comes from a Secret."""

    name: Annotated[str, Field(pattern=_HEADER_NAME)] = Field(description="Header name.")
    secret_key_ref: SecretKeyRef = Field(description="Where the header's value is.")


class OTLPOptions(_Options):
    """OpenTelemetry export (traces and metrics over OTLP/HTTP)."""

    endpoint: str = Field(description="The collector's http(s):// URL (port default: the "
                                      "scheme's).")
    service_name: str | None = Field(None, min_length=1,
                                     description="service.name (default: the server name).")
    tracing: bool = Field(True, description="Export traces.")
    metrics: bool = Field(True, description="Export metrics.")
    sampling_rate: float = Field(DEFAULT_SAMPLING_RATE, ge=0, le=1,
                                 description="Share of traces sampled (0 to 1).")
    headers: list[OTLPHeader] = Field(default_factory=list,
                                      description="Headers, each from a Secret.")

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http:// or https:// URL with a host")
        if parts.username is not None or parts.password is not None:
            raise ValueError("the endpoint must not carry credentials (user:password@); "
                             "send them as headers from a Secret")
        if parts.query or parts.fragment:
            raise ValueError(f"{value!r}: an OTLP endpoint has no query or fragment")
        try:
            parts.port  # noqa: B018 - raises ValueError for a port out of range
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a valid URL: {exc}") from None
        return value

    @model_validator(mode="after")
    def _something_exported(self) -> OTLPOptions:
        if not self.tracing and not self.metrics:
            raise ValueError("tracing and metrics are both off: remove otlp instead")
        names = [h.name.lower() for h in self.headers]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"headers repeat {duplicated} (names are case-insensitive)")
        return self

    @property
    def url(self) -> str:
        """The endpoint URL with its port spelled out (what the gateway's egress allows)."""
        return f"{urlsplit(self.endpoint).scheme}://{self.host_port}{self.path}"

    @property
    def path(self) -> str:
        """The endpoint's base path without a trailing ``/`` (often empty)."""
        return urlsplit(self.endpoint).path.rstrip("/")

    @property
    def host_port(self) -> str:
        """``host:port`` of the collector (IPv6 hosts bracketed)."""
        parts = urlsplit(self.endpoint)
        assert parts.hostname is not None  # validated
        port = parts.port or (443 if parts.scheme == "https" else 80)
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        return f"{host}:{port}"

    @property
    def insecure(self) -> bool:
        """Plain-text OTLP (an ``http://`` endpoint)."""
        return urlsplit(self.endpoint).scheme == "http"


class ServiceMonitorOptions(_Options):
    """A prometheus-operator ServiceMonitor for the gateway's metrics."""

    enabled: bool = Field(False, description="Create ServiceMonitor <n>-gateway.")
    interval: Annotated[str, Field(pattern=_DURATION)] | None = Field(
        None, description="Scrape interval (default: Prometheus')")
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="Extra labels, e.g. what the Prometheus' serviceMonitorSelector wants.")


class MetricsOptions(_Options):
    """Prometheus metrics of the gateway (``/metrics`` on the gateway's port)."""

    enabled: bool = Field(True, description="Serve /metrics.")
    scrape_namespace_selector: LabelSelector | None = Field(
        None, description="Namespaces whose pods may scrape the gateway.")
    scrape_pod_selector: LabelSelector | None = Field(
        None, description="Pods (of those namespaces, or of the server's) that may scrape.")
    service_monitor: ServiceMonitorOptions = Field(
        default_factory=ServiceMonitorOptions, description="A ServiceMonitor, off by default.")

    @model_validator(mode="after")
    def _service_monitor_needs_metrics(self) -> MetricsOptions:
        if self.service_monitor.enabled and not self.enabled:
            raise ValueError("service_monitor is enabled but metrics are off")
        return self

    @property
    def scraper(self) -> dict[str, Any] | None:
        """The NetworkPolicy peer of the scrapers, or None when none was configured."""
        if self.scrape_namespace_selector is None and self.scrape_pod_selector is None:
            return None
        peer: dict[str, Any] = {}
        if self.scrape_namespace_selector is not None:
            peer["namespaceSelector"] = canonical(self.scrape_namespace_selector)
        if self.scrape_pod_selector is not None:
            peer["podSelector"] = canonical(self.scrape_pod_selector)
        return peer


class TelemetryOptions(_Options):
    """Metrics and OpenTelemetry export of the gateway."""

    metrics: MetricsOptions = Field(default_factory=MetricsOptions,
                                    description="Prometheus metrics (on by default).")
    otlp: OTLPOptions | None = Field(None, description="OTLP export (off unless given).")

    @property
    def enabled(self) -> bool:
        """The gateway gets a ``telemetry_config`` at all."""
        return self.metrics.enabled or self.otlp is not None


Model = TypeVar("Model", bound=BaseModel)


def _parse(model: type[Model], value: Any, resource: str, root: str) -> Model:
    """``parse_model``, with an unknown key reported as an unknown option and the options
    allowed where it was found."""
    try:
        return parse_model(model, value, resource=resource, root=root)
    except SpecValidationError as error:
        issues = []
        for issue in error.issues:
            message = issue.message
            if message.startswith("unknown field"):
                allowed = _allowed_at(model, issue.path.split(".")[1:-1])
                message = "unknown option" + (f" (allowed: {allowed})" if allowed else "")
                if ".headers[" in issue.path and issue.path.endswith(".value"):
                    message = ("a header value is never written into the stack: put it in "
                               "a Secret and name it with secret_key_ref")
            issues.append(Issue(issue.path, message))
        raise SpecValidationError(resource, issues) from None


def _allowed_at(model: type[BaseModel], parts: list[str]) -> str:
    """The option names of the model found at ``parts`` below ``model``."""
    current: type[BaseModel] | None = model
    for part in parts:
        field = current.model_fields.get(part.split("[")[0]) if current is not None else None
        current = _model_of(field.annotation) if field is not None else None
    return ", ".join(sorted(current.model_fields)) if current is not None else ""


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def audit_options(value: Any, resource: str) -> AuditOptions:
    """The ``audit`` argument: None or True (the defaults), False (off), or a mapping."""
    if value is None or value is True:
        return AuditOptions()
    if value is False:
        return AuditOptions(enabled=False)
    if not isinstance(value, Mapping | AuditOptions):
        raise SpecValidationError(resource, Issue(
            "audit", f"must be True, False or a mapping of options, got {type(value).__name__}"))
    return _parse(AuditOptions, value, resource, "audit")


def telemetry_options(value: Any, resource: str) -> TelemetryOptions:
    """The ``telemetry`` argument: None (the defaults) or a mapping."""
    if value is None:
        return TelemetryOptions()
    return _parse(TelemetryOptions, value, resource, "telemetry")


__all__ = [
    "AuditEventType",
    "AuditOptions",
    "MetricsOptions",
    "OTLPHeader",
    "OTLPOptions",
    "SecretKeyRef",
    "ServiceMonitorOptions",
    "TelemetryOptions",
    "audit_options",
    "telemetry_options",
]
