"""``PolicyPackSession``: one pack process, configured once, analyzing many recordings.

Over the pack's ``pulumirpc.Analyzer`` server it calls, as the Pulumi CLI does:

1. ``Handshake`` and ``ConfigureStack`` (both optional for a pack; Unimplemented is fine),
2. ``GetAnalyzerInfo`` (the policies, their default levels and config schemas),
3. ``Configure`` with every policy's config reconciled (``config``),
4. ``Analyze`` for every resource the program registered (components included; reads
   excluded, as the engine analyzes reads only at stack level),
5. ``AnalyzeStack`` with every resource, its parent and dependencies.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc
from google.protobuf import empty_pb2  # type: ignore[import-untyped, unused-ignore]
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from ome_mcp_components.offline.analyzer import config as policy_config
from ome_mcp_components.offline.analyzer import protocol
from ome_mcp_components.offline.analyzer.log_engine import LogEngine
from ome_mcp_components.offline.analyzer.process import PackProcess
from ome_mcp_components.offline.analyzer.results import (
    AnalysisResult,
    Diagnostic,
    PolicyInfo,
    PolicyPackError,
)
from ome_mcp_components.offline.recording import Recording
from ome_mcp_components.offline.values import plain_struct, to_struct

#: Seconds one RPC may take.
RPC_TIMEOUT = 60.0


class PolicyPackSession:
    """One running policy pack, configured once, able to analyze many recordings.

    Use as a context manager; the pack process is stopped on exit, error or not::

        with PolicyPackSession(Path("policy_pack"), {"all": "mandatory"}) as pack:
            for recording in recordings:
                result = pack.analyze(recording)
    """

    def __init__(self, pack_dir: Path, config: Mapping[str, Any] | None = None, *,
                 stack: str = "stack", project: str = "project",
                 timeout: float = RPC_TIMEOUT) -> None:
        self.pack_dir = Path(pack_dir).resolve()
        self._given = policy_config.parse_policy_config(config or {})
        self._timeout = timeout
        self._log: list[str] = []
        self._engine: LogEngine | None = None
        self._process = PackProcess(self.pack_dir, stack=stack, project=project,
                                    log_line=self._log_line, fail=self._fail)
        self._stack, self._project = stack, project
        self._channel: grpc.Channel | None = None
        self._stub: Any = None
        self._info: analyzer_pb2.AnalyzerInfo | None = None
        self._policies: list[PolicyInfo] = []

    # lifecycle

    def __enter__(self) -> PolicyPackSession:
        try:
            self._start()
            self._configure()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _log_line(self, line: bytes) -> None:
        if line:
            self._log.append(line.decode(errors="replace").rstrip("\n"))

    def _fail(self, message: str) -> PolicyPackError:
        tail = "\n".join(self._log[-20:])
        return PolicyPackError(f"policy pack {self.pack_dir}",
                               f"{message}\n{tail}" if tail else message)

    def _start(self) -> None:
        if not (self.pack_dir / "PulumiPolicy.yaml").is_file():
            raise self._fail("no PulumiPolicy.yaml (not a policy pack)")
        self._engine = LogEngine(self._log)
        port = self._process.start(self._engine.address)
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}",
                                              options=protocol.GRPC_OPTIONS)
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)

    def close(self) -> None:
        """Stop the pack process and the engine server (idempotent)."""
        self._stub = None
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        self._process.stop()
        if self._engine is not None:
            self._engine.stop()
            self._engine = None

    # the protocol

    def _call(self, method: str, request: Any, *, optional: bool = False) -> Any:
        try:
            return getattr(self._stub, method)(request, timeout=self._timeout)
        except grpc.RpcError as e:
            if optional and e.code() == grpc.StatusCode.UNIMPLEMENTED:
                return None
            raise self._fail(f"{method} failed: {e.code().name}: {e.details()}") from e

    def _configure(self) -> None:
        assert self._engine is not None
        self._call("Handshake", analyzer_pb2.AnalyzerHandshakeRequest(
            engine_address=self._engine.address, root_directory=str(self.pack_dir),
            program_directory=str(self.pack_dir)), optional=True)
        self._call("ConfigureStack", analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=self._stack, project=self._project, dry_run=True), optional=True)
        info: analyzer_pb2.AnalyzerInfo = self._call("GetAnalyzerInfo", empty_pb2.Empty())
        self._info = info
        policies = sorted(info.policies, key=lambda p: p.name)
        levels = protocol.PROTO_TO_LEVEL
        if not info.supportsConfig:
            if self._given:
                raise self._fail(f"policy pack {info.name} does not support config")
            config = {p.name: policy_config.PolicyConfig(levels[p.enforcementLevel], {})
                      for p in policies}
        else:
            initial = {k: policy_config.PolicyConfig(levels[v.enforcementLevel],
                                                     plain_struct(v.properties))
                       for k, v in info.initialConfig.items()}
            config = policy_config.reconcile(policies, initial, self._given)
            policy_config.validate(policies, config)
            self._call("Configure", analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={
                name: analyzer_pb2.PolicyConfig(
                    enforcementLevel=protocol.LEVEL_TO_PROTO[entry.level or "advisory"],
                    properties=to_struct(entry.properties))
                for name, entry in config.items()}))
        self._policies = [
            PolicyInfo(
                name=p.name, description=p.description,
                enforcement_level=config[p.name].level or levels[p.enforcementLevel],
                policy_type=protocol.POLICY_TYPES.get(p.policy_type, "unknown"),
                severity=protocol.SEVERITIES.get(p.severity, ""),
                remediation_steps=p.remediation_steps,
                config=config[p.name].properties,
                config_schema=plain_struct(p.configSchema.properties),
            )
            for p in policies
        ]

    @property
    def policies(self) -> list[PolicyInfo]:
        """The pack's policies with the levels and settings in force."""
        return list(self._policies)

    def analyze(self, recording: Recording) -> AnalysisResult:
        """Run every policy of the pack over ``recording``."""
        if self._stub is None or self._info is None:
            raise PolicyPackError(f"policy pack {self.pack_dir}", "session is not open")
        by_urn = {r.urn: r for r in recording.resources}
        log_start = len(self._log)
        diagnostics: list[Diagnostic] = []
        pending = [
            (r, self._stub.Analyze.future(protocol.analyze_request(r, by_urn),
                                          timeout=self._timeout))
            for r in recording.resources if not r.read
        ]
        for r, future in pending:
            try:
                response = future.result()
            except grpc.RpcError as e:
                raise self._fail(f"Analyze({r.urn}) failed: {e.code().name}: "
                                 f"{e.details()}") from e
            diagnostics.extend(protocol.diagnostic(d, r.urn, by_urn, self._policies)
                               for d in response.diagnostics)
        stack_response = self._call("AnalyzeStack", analyzer_pb2.AnalyzeStackRequest(
            resources=[protocol.stack_resource(r, by_urn) for r in recording.resources]),
            optional=True)
        if stack_response is not None:
            root = protocol.root_stack_urn(recording)
            diagnostics.extend(
                protocol.diagnostic(d, d.urn if d.urn in by_urn else root, by_urn,
                                    self._policies)
                for d in stack_response.diagnostics)
        return AnalysisResult(
            pack_name=self._info.name, pack_version=self._info.version,
            diagnostics=diagnostics, policies=self.policies, log=self._log[log_start:],
        )
