"""The Analyzer protocol's messages, from and to our types: enforcement levels and
severities in the CLI's spelling, a ``RecordedResource`` as the ``AnalyzeRequest`` and
``AnalyzerResource`` the engine sends, and a pack's diagnostic attributed as the engine
attributes it (to the analyzed resource, or the one it names, or the root stack)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pulumi.runtime.proto import analyzer_pb2

from ome_mcp_components.offline.analyzer.results import Diagnostic, PolicyInfo
from ome_mcp_components.offline.recording import RecordedResource, Recording
from ome_mcp_components.offline.values import to_struct
from ome_mcp_components.vocabulary.tokens import STACK_TYPE

LEVEL_TO_PROTO = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}
PROTO_TO_LEVEL = {v: k for k, v in LEVEL_TO_PROTO.items()}
SEVERITIES = {
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}
POLICY_TYPES = {analyzer_pb2.POLICY_TYPE_RESOURCE: "resource",
                analyzer_pb2.POLICY_TYPE_STACK: "stack"}
#: Pulumi's gRPC message limit (400 MiB), so large stacks fit in one AnalyzeStack call.
GRPC_OPTIONS = [("grpc.max_receive_message_length", 400 * 1024 * 1024),
                ("grpc.max_send_message_length", 400 * 1024 * 1024)]


def stack_and_project(recording: Recording) -> tuple[str, str]:
    """The stack and project the recording's URNs name (placeholders without any)."""
    for r in recording.resources:
        parts = r.urn.split("::")
        if r.urn.startswith("urn:pulumi:") and len(parts) >= 4:
            return parts[0].removeprefix("urn:pulumi:"), parts[1]
    return "stack", "project"


def root_stack_urn(recording: Recording) -> str:
    """The root stack's URN, where stack-level diagnostics naming no resource belong."""
    for r in recording.resources:
        if r.type == STACK_TYPE and not r.parent:
            return r.urn
    stack, project = stack_and_project(recording)
    return f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{project}-{stack}"


def _options(r: RecordedResource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(
        parent=r.parent or "",
        customTimeouts=analyzer_pb2.AnalyzerResourceOptions.CustomTimeouts(),
    )


def _provider(r: RecordedResource, by_urn: Mapping[str, RecordedResource]
              ) -> analyzer_pb2.AnalyzerProviderResource | None:
    """The provider a resource names (a reference ``<urn>::<id>``), if it was recorded."""
    if not r.provider:
        return None
    provider = by_urn.get(r.provider) or by_urn.get(r.provider.rsplit("::", 1)[0])
    if provider is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(
        urn=provider.urn, type=provider.type, name=provider.name,
        properties=to_struct(provider.inputs, skip_internal=True),
    )


def analyze_request(r: RecordedResource, by_urn: Mapping[str, RecordedResource]
                    ) -> analyzer_pb2.AnalyzeRequest:
    """What the engine sends to ``Analyze`` for one resource."""
    return analyzer_pb2.AnalyzeRequest(
        urn=r.urn, type=r.type, name=r.name,
        properties=to_struct(r.inputs, skip_internal=True),
        options=_options(r), provider=_provider(r, by_urn))


def stack_resource(r: RecordedResource, by_urn: Mapping[str, RecordedResource]
                   ) -> analyzer_pb2.AnalyzerResource:
    """One resource of the ``AnalyzeStack`` request, with its parent and dependencies."""
    return analyzer_pb2.AnalyzerResource(
        urn=r.urn, type=r.type, name=r.name,
        properties=to_struct(r.inputs, skip_internal=True),
        options=_options(r), provider=_provider(r, by_urn),
        parent=r.parent or "", dependencies=list(r.dependencies),
        propertyDependencies={
            key: analyzer_pb2.AnalyzerPropertyDependencies(urns=list(urns))
            for key, urns in r.property_dependencies.items() if urns
        },
    )


def diagnostic(d: analyzer_pb2.AnalyzeDiagnostic, urn: str,
               by_urn: Mapping[str, RecordedResource],
               policies: Sequence[PolicyInfo]) -> Diagnostic:
    """A pack's diagnostic about ``urn``; a ``remediate`` still violated is mandatory, and
    a diagnostic without a severity takes its policy's."""
    level = PROTO_TO_LEVEL.get(d.enforcementLevel, "advisory")
    resource = by_urn.get(urn)
    return Diagnostic(
        policy_name=d.policyName, policy_pack_name=d.policyPackName,
        policy_pack_version=d.policyPackVersion, description=d.description,
        message=d.message,
        enforcement_level="mandatory" if level == "remediate" else level,
        urn=urn,
        resource_type=resource.type if resource else _urn_type(urn),
        resource_name=resource.name if resource else urn.rsplit("::", 1)[-1],
        severity=SEVERITIES.get(d.severity, next(
            (p.severity for p in policies if p.name == d.policyName), "")),
    )


def _urn_type(urn: str) -> str:
    """The type in a URN (``urn:pulumi:s::p::parent$type::name``), or "" for no URN."""
    parts = urn.split("::")
    return parts[-2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""
