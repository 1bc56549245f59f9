"""Audit log and telemetry of the gateway: the ``audit`` and ``telemetry`` options, what
they put into the RunConfig (ToolHive v0.44.0's keys), the gateway's environment and pod
annotations, the NetworkPolicy, the ServiceMonitor, and the stack invariants over it all."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pulumi
import pytest
from invariants import STACK_CHECKS, Stack, schema_problems
from server_fixtures import IMAGE, PulumiHarness

from ome_mcp_components import MCPServer
from ome_mcp_components.builders import gateway, render
from ome_mcp_components.builders.gateway_container import gateway_container
from ome_mcp_components.builders.gateway_deployment import gateway_pod_annotations
from ome_mcp_components.builders.network_policy import gateway_network_policy
from ome_mcp_components.builders.service_monitor import service_monitor
from ome_mcp_components.errors import SpecValidationError
from ome_mcp_components.models.observability import audit_options, telemetry_options
from ome_mcp_components.plan.context import ServerContext
from ome_mcp_components.vocabulary import keys

MakeCtx = Callable[..., ServerContext]
HTTP = {"image": IMAGE, "transport": "streamable-http"}
TOKEN_HEADER = {"name": "Authorization",
                "secret_key_ref": {"name": "otlp-credentials", "key": "authorization"}}
OTLP = {"endpoint": "https://otel.example.com/api/public/otel", "service_name": "tools",
        "sampling_rate": 0.25, "headers": [TOKEN_HEADER]}
SCRAPERS = {"scrape_namespace_selector": {"matchLabels": {
    "kubernetes.io/metadata.name": "monitoring"}},
    "scrape_pod_selector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}


def ctx_with(make_ctx: MakeCtx, spec: dict[str, Any] | None = None, *,
             audit: Any = None, telemetry: Any = None, **fields: Any) -> ServerContext:
    ctx = make_ctx(spec or HTTP, **fields)
    return replace(ctx, audit=audit_options(audit, "MCPServer 'demo'"),
                   telemetry=telemetry_options(telemetry, "MCPServer 'demo'"))


# --- the RunConfig ---------------------------------------------------------------------------


def test_defaults_audit_every_request_and_serve_prometheus_metrics(make_ctx: MakeCtx) -> None:
    config = gateway.run_config(ctx_with(make_ctx))
    assert config["audit_config"] == {
        "enabled": True, "component": "demo", "includeRequestData": False,
        "includeResponseData": False, "maxDataSize": 1024}
    assert config["telemetry_config"] == {
        "enablePrometheusMetricsPath": True, "serviceName": "demo",
        "tracingEnabled": False, "metricsEnabled": False}


@pytest.mark.parametrize("audit", [False, {"enabled": False}], ids=["False", "enabled False"])
def test_audit_off_omits_the_key(make_ctx: MakeCtx, audit: Any) -> None:
    """The runner audits whenever ``audit_config`` is present (``enabled`` is not read)."""
    assert "audit_config" not in gateway.run_config(ctx_with(make_ctx, audit=audit))


def test_audit_tuned(make_ctx: MakeCtx) -> None:
    audit = {"event_types": ["mcp_tool_call", "mcp_resource_read"],
             "exclude_event_types": ["mcp_ping"], "include_request_data": True,
             "max_data_size": 4096, "component": "analytics-tools"}
    assert gateway.run_config(ctx_with(make_ctx, audit=audit))["audit_config"] == {
        "enabled": True, "component": "analytics-tools", "includeRequestData": True,
        "includeResponseData": False, "maxDataSize": 4096,
        "eventTypes": ["mcp_tool_call", "mcp_resource_read"], "excludeEventTypes": ["mcp_ping"]}


def test_metrics_off_and_no_otlp_omit_telemetry(make_ctx: MakeCtx) -> None:
    ctx = ctx_with(make_ctx, telemetry={"metrics": {"enabled": False}})
    assert "telemetry_config" not in gateway.run_config(ctx)
    assert gateway_pod_annotations(ctx) == {}


@pytest.mark.parametrize(
    ("otlp", "expected"),
    [
        (OTLP, {"endpoint": "otel.example.com:443/api/public/otel", "insecure": False,
                "serviceName": "tools", "tracingEnabled": True, "metricsEnabled": True,
                "samplingRate": "0.25"}),
        ({"endpoint": "http://otel-collector.observability.svc:4318", "tracing": False},
         {"endpoint": "otel-collector.observability.svc:4318", "insecure": True,
          "serviceName": "demo", "tracingEnabled": False, "metricsEnabled": True}),
        ({"endpoint": "https://[2001:db8::1]/", "sampling_rate": 1},
         {"endpoint": "[2001:db8::1]:443", "insecure": False, "serviceName": "demo",
          "tracingEnabled": True, "metricsEnabled": True, "samplingRate": "1"}),
    ],
    ids=["https with a base path", "in-cluster http, metrics only", "IPv6, default port"],
)
def test_otlp_export(make_ctx: MakeCtx, otlp: dict[str, Any], expected: dict[str, Any]) -> None:
    config = gateway.run_config(ctx_with(make_ctx, telemetry={"otlp": otlp}))
    assert config["telemetry_config"] == {"enablePrometheusMetricsPath": True, **expected}


def test_otlp_header_values_come_from_secrets_only(make_ctx: MakeCtx) -> None:
    ctx = ctx_with(make_ctx, telemetry={"otlp": {**OTLP, "headers": [
        TOKEN_HEADER,
        {"name": "X-Scope-OrgID", "secret_key_ref": {"name": "otlp-tenant", "key": "org"}}]}})
    data = gateway.config_data(ctx)[keys.RUN_CONFIG_KEY]
    assert "headers" not in json.loads(data)["telemetry_config"]
    env = gateway_container(ctx)["env"]
    names = [var["name"] for var in env]
    assert names == sorted(names)
    by_name = {var["name"]: var for var in env}
    assert by_name["OME_OTLP_HEADER_0"] == {"name": "OME_OTLP_HEADER_0", "valueFrom": {
        "secretKeyRef": {"name": "otlp-credentials", "key": "authorization"}}}
    assert by_name["OME_OTLP_HEADER_1"]["valueFrom"]["secretKeyRef"] == {
        "name": "otlp-tenant", "key": "org"}
    # Kubernetes expands $(VAR) only for variables listed before the one using them
    assert names.index("OTEL_EXPORTER_OTLP_HEADERS") > names.index("OME_OTLP_HEADER_1")
    assert by_name["OTEL_EXPORTER_OTLP_HEADERS"]["value"] == (
        "Authorization=$(OME_OTLP_HEADER_0),X-Scope-OrgID=$(OME_OTLP_HEADER_1)")


def test_scrape_annotations_name_the_gateway_port(make_ctx: MakeCtx) -> None:
    ctx = ctx_with(make_ctx, {**HTTP, "port": 80})
    deployment = next(o for o in render(ctx) if o["metadata"]["name"] == "demo-gateway"
                      and o["kind"] == "Deployment")
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == "8080"  # port 80 is served from 8080
    assert annotations["prometheus.io/path"] == "/metrics"


# --- network policy and ServiceMonitor --------------------------------------------------------


def test_scrapers_get_ingress_on_the_gateway_port(make_ctx: MakeCtx) -> None:
    ctx = ctx_with(make_ctx, telemetry={"metrics": SCRAPERS})
    ingress = gateway_network_policy(ctx)["spec"]["ingress"]
    assert ingress[1] == {
        "from": [{"namespaceSelector": {"matchLabels": {
            "kubernetes.io/metadata.name": "monitoring"}},
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}],
        "ports": [{"protocol": "TCP", "port": 8080}]}


def test_no_scraper_no_extra_ingress(make_ctx: MakeCtx) -> None:
    assert len(gateway_network_policy(ctx_with(make_ctx))["spec"]["ingress"]) == 1
    off = ctx_with(make_ctx, telemetry={"metrics": {**SCRAPERS, "enabled": False}})
    assert len(gateway_network_policy(off)["spec"]["ingress"]) == 1


@pytest.mark.parametrize(
    ("endpoint", "enforcement", "rule"),
    [
        ("http://otel-collector.observability.svc:4318", "kubernetes",
         {"to": [{"namespaceSelector": {"matchLabels": {
             "kubernetes.io/metadata.name": "observability"}}}]}),
        ("http://10.9.0.5:4318", "kubernetes",
         {"to": [{"ipBlock": {"cidr": "10.9.0.5/32"}}], "ports": [
             {"protocol": "TCP", "port": 4318}]}),
    ],
    ids=["in-cluster collector -> its namespace", "collector by address -> that address"],
)
def test_gateway_may_reach_the_collector(make_ctx: MakeCtx, endpoint: str, enforcement: str,
                                         rule: dict[str, Any]) -> None:
    ctx = ctx_with(make_ctx, telemetry={"otlp": {"endpoint": endpoint}},
                   network_enforcement=enforcement)
    assert rule in gateway_network_policy(ctx)["spec"]["egress"]


def test_external_collector_under_cilium_is_one_name(make_ctx: MakeCtx) -> None:
    ctx = ctx_with(make_ctx, telemetry={"otlp": OTLP}, network_enforcement="cilium")
    fqdn = next(o for o in render(ctx) if o["metadata"]["name"] == "demo-gateway-fqdn")
    assert {"toFQDNs": [{"matchName": "otel.example.com"}],
            "toPorts": [{"ports": [{"port": "443", "protocol": "TCP"}]}]} in fqdn["spec"]["egress"]


def test_service_monitor_only_when_asked(make_ctx: MakeCtx) -> None:
    assert "ServiceMonitor" not in {o["kind"] for o in render(ctx_with(make_ctx))}
    ctx = ctx_with(make_ctx, telemetry={"metrics": {"service_monitor": {"enabled": True}}})
    assert "ServiceMonitor" in {o["kind"] for o in render(ctx)}


def test_service_monitor(make_ctx: MakeCtx) -> None:
    ctx = ctx_with(make_ctx, telemetry={"metrics": {"service_monitor": {
        "enabled": True, "interval": "30s", "labels": {"release": "kube-prometheus-stack"}}}})
    monitor = service_monitor(ctx)
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["name"] == "demo-gateway"
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert monitor["spec"] == {
        "selector": {"matchLabels": {"ome.io/mcp-server": "demo",
                                     "app.kubernetes.io/component": "mcp-gateway"}},
        "namespaceSelector": {"matchNames": ["tools"]},
        "endpoints": [{"port": "mcp", "path": "/metrics", "scheme": "http",
                       "interval": "30s"}]}
    public = next(o for o in render(ctx) if o["kind"] == "Service"
                  and o["metadata"]["name"] == "demo")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= \
        public["metadata"]["labels"].items()
    assert [p["name"] for p in public["spec"]["ports"]] == ["mcp"]
    assert schema_problems(monitor) == []


def test_service_monitor_schema_catches_a_misspelt_field(make_ctx: MakeCtx) -> None:
    ctx = ctx_with(make_ctx, telemetry={"metrics": {"service_monitor": {"enabled": True}}})
    monitor = service_monitor(ctx)
    monitor["spec"]["endpoints"][0]["intervall"] = "30s"
    assert schema_problems(monitor)


# --- bad options ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"audit": "yes"}, "audit: must be True, False or a mapping of options, got str"),
        ({"audit": {"event_types": ["tool_call"]}},
         "audit.event_types[0]: 'tool_call' is not allowed"),
        ({"audit": {"max_data_size": -1}}, "audit.max_data_size"),
        ({"audit": {"log_file": "/tmp/a"}}, "audit.log_file: unknown option (allowed: "),
        ({"telemetry": {"prometheus": True}},
         "telemetry.prometheus: unknown option (allowed: metrics, otlp)"),
        ({"telemetry": {"otlp": {"endpoint": "otel:4317"}}},
         "telemetry.otlp.endpoint: 'otel:4317' is not an http:// or https:// URL"),
        ({"telemetry": {"otlp": {"endpoint": "https://u:p@otel.example.com"}}},
         "must not carry credentials"),
        ({"telemetry": {"otlp": {"endpoint": "https://o", "tracing": False, "metrics": False}}},
         "telemetry.otlp: tracing and metrics are both off"),
        ({"telemetry": {"otlp": {"endpoint": "https://o", "sampling_rate": 1.5}}},
         "telemetry.otlp.sampling_rate"),
        ({"telemetry": {"otlp": {"endpoint": "https://o", "headers": [
            {"name": "Authorization", "value": "Bearer abc"}]}}},
         "telemetry.otlp.headers[0].value: a header value is never written into the stack"),
        ({"telemetry": {"otlp": {"endpoint": "https://o", "headers": [
            TOKEN_HEADER, {**TOKEN_HEADER, "name": "authorization"}]}}},
         "headers repeat ['authorization']"),
        ({"telemetry": {"metrics": {"scrape_namespace_selector": {"matchLabels": {"a": 1}}}}},
         "telemetry.metrics.scrape_namespace_selector.matchLabels.a: expected string"),
        ({"telemetry": {"metrics": {"scrape_pod_selector": {"matchExpressions": [
            {"key": "app", "operator": "Equals", "values": ["p"]}]}}}},
         "matchExpressions[0].operator: 'Equals' is not allowed"),
        ({"telemetry": {"metrics": {"enabled": False, "service_monitor": {"enabled": True}}}},
         "telemetry.metrics: service_monitor is enabled but metrics are off"),
        ({"telemetry": {"metrics": {"service_monitor": {"enabled": True, "interval": "30"}}}},
         "telemetry.metrics.service_monitor.interval"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_bad_options_register_nothing(pulumi_mocks: PulumiHarness, args: dict[str, Any],
                                      message: str) -> None:
    with pytest.raises(SpecValidationError) as raised:
        pulumi_mocks.run(lambda: MCPServer("demo", {"spec": HTTP, **args}))
    assert str(raised.value).startswith("MCPServer 'demo': ")
    assert message in str(raised.value)
    assert "Bearer abc" not in str(raised.value)
    assert pulumi_mocks.last is None


# --- the components under mocks -------------------------------------------------------------


EVERYTHING = {
    "audit": {"include_request_data": True, "exclude_event_types": ["mcp_ping"]},
    "telemetry": {"metrics": {**SCRAPERS, "service_monitor": {"enabled": True}},
                  "otlp": OTLP},
}


def test_service_monitor_is_a_custom_resource_child(pulumi_mocks: PulumiHarness) -> None:
    recording = pulumi_mocks.run(lambda: MCPServer(
        "demo", {"metadata": {"namespace": "tools"}, "spec": HTTP, **EVERYTHING}))
    monitor = next(r for r in recording.resources if r.name == "demo-service-monitor")
    component = next(r for r in recording.resources if r.type == "ome-mcp:index:MCPServer")
    assert monitor.type == "kubernetes:monitoring.coreos.com/v1:ServiceMonitor"
    assert monitor.parent == component.urn
    assert monitor.inputs["spec"]["endpoints"][0]["path"] == "/metrics"


def test_service_monitor_without_scrapers_warns(pulumi_mocks: PulumiHarness) -> None:
    recording = pulumi_mocks.run(lambda: MCPServer("demo", {
        "metadata": {"namespace": "tools"}, "spec": HTTP,
        "telemetry": {"metrics": {"service_monitor": {"enabled": True}}}}))
    (warning,) = [w for w in recording.warnings if "service_monitor" in w]
    assert "admits only pods of namespace 'tools'" in warning
    assert "scrape_namespace_selector" in warning


@pytest.mark.parametrize("spec", [
    HTTP,
    {"image": IMAGE},
    {"type": "Remote", "url": "https://tools.example.com/mcp",
     "oidcConfig": {"type": "kubernetes"}},
], ids=["streamable-http", "stdio", "remote with gateway"])
@pytest.mark.parametrize("check", list(STACK_CHECKS), ids=list(STACK_CHECKS))
def test_every_option_keeps_the_invariants(pulumi_mocks: PulumiHarness, spec: dict[str, Any],
                                           check: str) -> None:
    def program() -> None:
        server = MCPServer("demo", {"metadata": {"namespace": "tools"}, "spec": spec,
                                    "network_enforcement": "cilium", **EVERYTHING})
        pulumi.export("status", server.status)

    stack = Stack(pulumi_mocks.run(program))
    assert STACK_CHECKS[check](stack) == []
