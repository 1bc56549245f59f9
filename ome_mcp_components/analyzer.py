"""Run a CrossGuard policy pack over a recorded stack, the way the Pulumi CLI does.

The pack is started as the CLI starts a Python pack: ``python -u -m pulumi.policy
<engine-address> <pack-dir>`` with the pack directory as working directory, where the
engine address is a small ``pulumirpc.Engine`` server of ours that collects the pack's log
lines. The pack prints the port of its ``pulumirpc.Analyzer`` server; over it we call

1. ``Handshake`` and ``ConfigureStack`` (both optional for a pack; Unimplemented is fine),
2. ``GetAnalyzerInfo`` (the policies, their default levels and config schemas),
3. ``Configure`` with every policy's config reconciled as the CLI's
   ``ReconcilePolicyPackConfig`` does: schema defaults, then the pack's initial config,
   then the user's config (``{"all": level}`` first, then per policy), validated
   against each policy's JSON schema,
4. ``Analyze`` for every resource the program registered (components included; reads
   excluded, as the engine analyzes reads only at stack level),
5. ``AnalyzeStack`` with every resource, its parent and dependencies.

Resource-level diagnostics are attributed to the analyzed resource; stack-level ones to
the resource they name, or to the root stack, as the engine does. The one deliberate
difference from the CLI: a config entry naming a policy the pack does not have is an
error here (the CLI passes it on unseen), so a typo cannot silently disable nothing.

``PolicyPackSession`` keeps one pack process for many recordings; ``analyze`` is the
one-shot form.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc
import jsonschema
from google.protobuf import (  # type: ignore[import-untyped, unused-ignore]
    empty_pb2,
    json_format,
    struct_pb2,
)
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc, engine_pb2, engine_pb2_grpc

from ome_mcp_components.errors import OmeMcpError
from ome_mcp_components.recording import RecordedResource, Recording

#: The CLI's enforcement levels, in its spelling.
ENFORCEMENT_LEVELS = ("advisory", "mandatory", "remediate", "disabled")
_LEVEL_TO_PROTO = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}
_PROTO_TO_LEVEL = {v: k for k, v in _LEVEL_TO_PROTO.items()}
_SEVERITIES = {
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}
_POLICY_TYPES = {analyzer_pb2.POLICY_TYPE_RESOURCE: "resource",
                 analyzer_pb2.POLICY_TYPE_STACK: "stack"}
#: Pulumi's gRPC message limit (400 MiB), so large stacks fit in one AnalyzeStack call.
_GRPC_OPTIONS = [("grpc.max_receive_message_length", 400 * 1024 * 1024),
                 ("grpc.max_send_message_length", 400 * 1024 * 1024)]
#: Seconds to wait for the pack to print its port.
START_TIMEOUT = 30.0
#: Seconds one RPC may take.
RPC_TIMEOUT = 60.0
#: Seconds to wait for the pack to exit after SIGTERM before killing it.
STOP_TIMEOUT = 5.0


class PolicyPackError(OmeMcpError):
    """The pack could not be started, configured or run, or its config is invalid."""


@dataclass(frozen=True)
class Diagnostic:
    """One policy violation, as the CLI would print it."""

    policy_name: str
    policy_pack_name: str
    policy_pack_version: str
    description: str
    message: str
    #: ``advisory``, ``mandatory`` (a still-violated ``remediate`` is reported as such).
    enforcement_level: str
    urn: str
    resource_type: str
    resource_name: str
    #: ``low``, ``medium``, ``high``, ``critical``, or ``""`` when the pack gives none.
    severity: str = ""

    @property
    def is_mandatory(self) -> bool:
        """True when this violation blocks an update."""
        return self.enforcement_level == "mandatory"


@dataclass(frozen=True)
class PolicyInfo:
    """A policy of the pack, with the enforcement level in force after configuration."""

    name: str
    description: str
    enforcement_level: str
    policy_type: str
    severity: str = ""
    remediation_steps: str = ""
    config: Mapping[str, Any] = field(default_factory=dict)
    config_schema: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnalysisResult:
    """What a pack said about one stack."""

    pack_name: str
    pack_version: str
    diagnostics: list[Diagnostic]
    policies: list[PolicyInfo]
    #: The pack's log lines (Engine ``Log`` calls and its standard error), in order.
    log: list[str] = field(default_factory=list)

    @property
    def mandatory_violations(self) -> list[Diagnostic]:
        """The violations that would stop ``pulumi up``."""
        return [d for d in self.diagnostics if d.is_mandatory]

    @property
    def advisory_violations(self) -> list[Diagnostic]:
        """The violations that are only reported."""
        return [d for d in self.diagnostics if d.enforcement_level == "advisory"]


# --- values -----------------------------------------------------------------------------


def to_value(value: Any, path: str = "") -> struct_pb2.Value:
    """A JSON-like Python value as a protobuf ``Value`` (numbers become doubles, as in
    Pulumi's wire format; ``None`` becomes null)."""
    result = struct_pb2.Value()
    if value is None:
        result.null_value = struct_pb2.NULL_VALUE
    elif isinstance(value, bool):
        result.bool_value = value
    elif isinstance(value, int | float):
        result.number_value = float(value)
    elif isinstance(value, str):
        result.string_value = value
    elif isinstance(value, Mapping):
        result.struct_value.CopyFrom(to_struct(value, path))
    elif isinstance(value, list | tuple):
        result.list_value.values.extend(to_value(v, f"{path}[{i}]") for i, v in enumerate(value))
    else:
        raise TypeError(f"{path or 'value'}: {type(value).__name__} cannot be sent to a "
                        f"policy pack")
    return result


def to_struct(mapping: Mapping[str, Any], path: str = "",
              *, skip_internal: bool = False) -> struct_pb2.Struct:
    """A mapping as a protobuf ``Struct``; ``skip_internal`` drops top-level ``__`` keys
    (the engine's ``SkipInternalKeys``)."""
    result = struct_pb2.Struct()
    for key, value in mapping.items():
        if not isinstance(key, str):
            raise TypeError(f"{path or 'value'}: key {key!r} is not a string")
        if skip_internal and key.startswith("__"):
            continue
        result.fields[key].CopyFrom(to_value(value, f"{path}.{key}" if path else key))
    return result


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    """A protobuf ``Struct`` as plain Python values (numbers as floats)."""
    result: dict[str, Any] = json_format.MessageToDict(struct)
    return result


# --- config -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _PolicyConfig:
    level: str | None
    properties: dict[str, Any]


def _check_level(where: str, level: Any) -> str:
    if not isinstance(level, str) or level not in ENFORCEMENT_LEVELS:
        raise PolicyPackError("policy config", f"{where}: {level!r} is not a valid enforcement "
                              f"level (one of {', '.join(ENFORCEMENT_LEVELS)})")
    return level


def parse_policy_config(config: Mapping[str, Any]) -> dict[str, _PolicyConfig]:
    """Validate a policy config in the CLI's format (``--policy-pack-config`` file):
    ``{"all": "advisory", "<policy>": "mandatory" | {"enforcementLevel": ..., "<prop>": ...}}``.
    """
    result: dict[str, _PolicyConfig] = {}
    for name, value in config.items():
        if name == "environments":
            raise PolicyPackError("policy config", "'environments' (Pulumi ESC) cannot be "
                                  "resolved offline")
        if isinstance(value, str):
            result[name] = _PolicyConfig(_check_level(name, value), {})
        elif isinstance(value, Mapping):
            properties = dict(value)
            level = properties.pop("enforcementLevel", None)
            if level is not None:
                level = _check_level(f"{name}.enforcementLevel", level)
            if level is not None or properties:
                result[name] = _PolicyConfig(level, properties)
        else:
            raise PolicyPackError("policy config", f"{name}: {value!r} is not a valid value; "
                                  f"must be a string or object")
    return result


def load_policy_config(path: Path) -> dict[str, Any]:
    """Read a policy config file (JSON, the CLI's format); an empty file is no config."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise PolicyPackError(f"policy config {path}", f"is not UTF-8 text ({e.reason} at "
                                                       f"byte {e.start})") from None
    except OSError as e:
        raise PolicyPackError(f"policy config {path}", str(e)) from e
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as e:
        raise PolicyPackError(f"policy config {path}", f"not valid JSON: {e}") from e
    if not isinstance(data, dict):
        raise PolicyPackError(f"policy config {path}", "must be a JSON object")
    return data


def _reconcile(policies: Sequence[analyzer_pb2.PolicyInfo],
               initial: Mapping[str, _PolicyConfig],
               given: Mapping[str, _PolicyConfig]) -> dict[str, _PolicyConfig]:
    """Defaults from the schemas, then the pack's initial config, then the user's."""
    result = {
        p.name: _PolicyConfig(
            _PROTO_TO_LEVEL[p.enforcementLevel],
            {k: v["default"] for k, v in from_struct(p.configSchema.properties).items()
             if isinstance(v, Mapping) and "default" in v},
        )
        for p in policies
    }
    known = set(result)
    for layer, source in ((initial, "the pack's initial config"), (given, "policy config")):
        unknown = sorted(set(layer) - known - {"all"})
        if unknown and layer is given:
            raise PolicyPackError(source, f"no such policy: {', '.join(unknown)} (the pack "
                                  f"has {', '.join(sorted(known))})")
        if "all" in layer and layer["all"].level is not None:
            result = {k: _PolicyConfig(layer["all"].level, v.properties)
                      for k, v in result.items()}
        for name, entry in layer.items():
            if name == "all" or name not in known:
                continue
            current = result[name]
            result[name] = _PolicyConfig(entry.level or current.level,
                                         {**current.properties, **entry.properties})
    return result


def _validate(policies: Sequence[analyzer_pb2.PolicyInfo],
              config: Mapping[str, _PolicyConfig]) -> None:
    """Check each policy's properties against its schema, as the CLI does."""
    errors: list[str] = []
    for p in policies:
        schema: dict[str, Any] = {"type": "object"}
        properties = from_struct(p.configSchema.properties)
        properties["enforcementLevel"] = {"type": "string", "enum": list(ENFORCEMENT_LEVELS)}
        schema["properties"] = properties
        if p.configSchema.required:
            schema["required"] = list(p.configSchema.required)
        validator = jsonschema.Draft7Validator(schema)
        for error in validator.iter_errors(config[p.name].properties):
            where = ".".join(str(x) for x in error.absolute_path)
            errors.append(f"{p.name}: {where + ': ' if where else ''}{error.message}")
    if errors:
        raise PolicyPackError("policy config", "; ".join(sorted(errors)))


# --- the engine side --------------------------------------------------------------------


class _Engine(engine_pb2_grpc.EngineServicer):
    """The part of ``pulumirpc.Engine`` a pack may call: it only logs."""

    def __init__(self, log: list[str]) -> None:
        self._log = log
        self._lock = threading.Lock()
        self._root = ""

    def Log(self, request: engine_pb2.LogRequest, context: Any) -> empty_pb2.Empty:  # noqa: N802
        severity = engine_pb2.LogSeverity.Name(request.severity).lower()
        with self._lock:
            self._log.append(f"{severity}: {request.message}")
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any  # noqa: N802
                        ) -> engine_pb2.GetRootResourceResponse:
        return engine_pb2.GetRootResourceResponse(urn=self._root)

    def SetRootResource(self, request: engine_pb2.SetRootResourceRequest,  # noqa: N802
                        context: Any) -> engine_pb2.SetRootResourceResponse:
        self._root = request.urn
        return engine_pb2.SetRootResourceResponse()


def _stack_and_project(recording: Recording) -> tuple[str, str]:
    for r in recording.resources:
        parts = r.urn.split("::")
        if r.urn.startswith("urn:pulumi:") and len(parts) >= 4:
            return parts[0].removeprefix("urn:pulumi:"), parts[1]
    return "stack", "project"


def _root_stack_urn(recording: Recording) -> str:
    for r in recording.resources:
        if r.type == "pulumi:pulumi:Stack" and not r.parent:
            return r.urn
    stack, project = _stack_and_project(recording)
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


# --- the session ------------------------------------------------------------------------


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
        self._given = parse_policy_config(config or {})
        self._stack, self._project = stack, project
        self._timeout = timeout
        self._log: list[str] = []
        self._engine: grpc.Server | None = None
        self._engine_pool: futures.ThreadPoolExecutor | None = None
        self._engine_address = ""
        self._process: subprocess.Popen[bytes] | None = None
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
        self._engine_pool = futures.ThreadPoolExecutor(max_workers=2)
        self._engine = grpc.server(self._engine_pool, options=_GRPC_OPTIONS)
        engine_pb2_grpc.add_EngineServicer_to_server(_Engine(self._log), self._engine)
        self._engine_address = f"127.0.0.1:{self._engine.add_insecure_port('127.0.0.1:0')}"
        self._engine.start()
        env = {**os.environ, "PULUMI_PROJECT": self._project, "PULUMI_STACK": self._stack,
               "PULUMI_DRY_RUN": "true", "PULUMI_CONFIG": "{}"}
        self._process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.policy", self._engine_address,
             str(self.pack_dir)],
            cwd=self.pack_dir, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        lines: queue.Queue[bytes] = queue.Queue()
        assert self._process.stdout is not None
        assert self._process.stderr is not None
        threading.Thread(target=_pump, args=(self._process.stdout, lines.put),
                         daemon=True).start()
        stderr = threading.Thread(target=_pump, args=(self._process.stderr, self._log_line),
                                  daemon=True)
        stderr.start()
        try:
            first = lines.get(timeout=START_TIMEOUT)
        except queue.Empty:
            raise self._fail(f"printed no port within {START_TIMEOUT:.0f} s") from None
        try:
            port = int(first.strip())
        except ValueError:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=STOP_TIMEOUT)
            stderr.join(timeout=STOP_TIMEOUT)
            raise self._fail(f"did not start (exit code {self._process.poll()}; it printed "
                             f"{first!r} instead of a port)") from None
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=_GRPC_OPTIONS)
        self._stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)

    def close(self) -> None:
        """Stop the pack process and the engine server (idempotent)."""
        self._stub = None
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            self._process = None
        if self._engine is not None:
            self._engine.stop(grace=None)
            self._engine = None
        if self._engine_pool is not None:
            self._engine_pool.shutdown(wait=False)
            self._engine_pool = None

    # the protocol

    def _call(self, method: str, request: Any, *, optional: bool = False) -> Any:
        try:
            return getattr(self._stub, method)(request, timeout=self._timeout)
        except grpc.RpcError as e:
            if optional and e.code() == grpc.StatusCode.UNIMPLEMENTED:
                return None
            raise self._fail(f"{method} failed: {e.code().name}: {e.details()}") from e

    def _configure(self) -> None:
        self._call("Handshake", analyzer_pb2.AnalyzerHandshakeRequest(
            engine_address=self._engine_address, root_directory=str(self.pack_dir),
            program_directory=str(self.pack_dir)), optional=True)
        self._call("ConfigureStack", analyzer_pb2.AnalyzerStackConfigureRequest(
            stack=self._stack, project=self._project, dry_run=True), optional=True)
        info: analyzer_pb2.AnalyzerInfo = self._call("GetAnalyzerInfo", empty_pb2.Empty())
        self._info = info
        policies = sorted(info.policies, key=lambda p: p.name)
        if not info.supportsConfig:
            if self._given:
                raise self._fail(f"policy pack {info.name} does not support config")
            config = {p.name: _PolicyConfig(_PROTO_TO_LEVEL[p.enforcementLevel], {})
                      for p in policies}
        else:
            initial = {k: _PolicyConfig(_PROTO_TO_LEVEL[v.enforcementLevel],
                                        from_struct(v.properties))
                       for k, v in info.initialConfig.items()}
            config = _reconcile(policies, initial, self._given)
            _validate(policies, config)
            self._call("Configure", analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={
                name: analyzer_pb2.PolicyConfig(
                    enforcementLevel=_LEVEL_TO_PROTO[entry.level or "advisory"],
                    properties=to_struct(entry.properties))
                for name, entry in config.items()}))
        self._policies = [
            PolicyInfo(
                name=p.name, description=p.description,
                enforcement_level=config[p.name].level or _PROTO_TO_LEVEL[p.enforcementLevel],
                policy_type=_POLICY_TYPES.get(p.policy_type, "unknown"),
                severity=_SEVERITIES.get(p.severity, ""),
                remediation_steps=p.remediation_steps,
                config=config[p.name].properties,
                config_schema=from_struct(p.configSchema.properties),
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
            (r, self._stub.Analyze.future(analyzer_pb2.AnalyzeRequest(
                urn=r.urn, type=r.type, name=r.name,
                properties=to_struct(r.inputs, skip_internal=True),
                options=_options(r), provider=_provider(r, by_urn)), timeout=self._timeout))
            for r in recording.resources if not r.read
        ]
        for r, future in pending:
            try:
                response = future.result()
            except grpc.RpcError as e:
                raise self._fail(f"Analyze({r.urn}) failed: {e.code().name}: "
                                 f"{e.details()}") from e
            diagnostics.extend(self._diagnostic(d, r.urn, by_urn) for d in response.diagnostics)
        stack_response = self._call("AnalyzeStack", analyzer_pb2.AnalyzeStackRequest(
            resources=[_stack_resource(r, by_urn) for r in recording.resources]), optional=True)
        if stack_response is not None:
            root = _root_stack_urn(recording)
            diagnostics.extend(
                self._diagnostic(d, d.urn if d.urn in by_urn else root, by_urn)
                for d in stack_response.diagnostics)
        return AnalysisResult(
            pack_name=self._info.name, pack_version=self._info.version,
            diagnostics=diagnostics, policies=self.policies, log=self._log[log_start:],
        )

    def _diagnostic(self, d: analyzer_pb2.AnalyzeDiagnostic, urn: str,
                    by_urn: Mapping[str, RecordedResource]) -> Diagnostic:
        level = _PROTO_TO_LEVEL.get(d.enforcementLevel, "advisory")
        resource = by_urn.get(urn)
        return Diagnostic(
            policy_name=d.policyName, policy_pack_name=d.policyPackName,
            policy_pack_version=d.policyPackVersion, description=d.description,
            message=d.message,
            enforcement_level="mandatory" if level == "remediate" else level,
            urn=urn,
            resource_type=resource.type if resource else _urn_type(urn),
            resource_name=resource.name if resource else urn.rsplit("::", 1)[-1],
            severity=_SEVERITIES.get(d.severity, self._severity_of(d.policyName)),
        )

    def _severity_of(self, policy_name: str) -> str:
        return next((p.severity for p in self._policies if p.name == policy_name), "")


def _urn_type(urn: str) -> str:
    """The type in a URN (``urn:pulumi:s::p::parent$type::name``), or "" for no URN."""
    parts = urn.split("::")
    return parts[-2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""


def _stack_resource(r: RecordedResource, by_urn: Mapping[str, RecordedResource]
                    ) -> analyzer_pb2.AnalyzerResource:
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


def _pump(stream: Any, sink: Callable[[bytes], None]) -> None:
    """Hand each line of ``stream`` to ``sink``, then ``b""`` at end of file."""
    for line in iter(stream.readline, b""):
        sink(line)
    sink(b"")
    stream.close()


def analyze(pack_dir: Path, recording: Recording,
            config: Mapping[str, Any] | None = None) -> AnalysisResult:
    """Run the policy pack in ``pack_dir`` over ``recording`` as ``pulumi preview
    --policy-pack pack_dir [--policy-pack-config ...]`` would, with ``config`` in the
    CLI's config-file format. One pack process, stopped before returning."""
    stack, project = _stack_and_project(recording)
    with PolicyPackSession(pack_dir, config, stack=stack, project=project) as session:
        return session.analyze(recording)

