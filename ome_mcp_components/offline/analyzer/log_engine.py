"""The engine address a pack is started with: a small ``pulumirpc.Engine`` server of
ours. A pack only logs through it (and asks for the root resource), so it collects the
log lines and remembers the root URN, nothing else."""

from __future__ import annotations

import threading
from concurrent import futures
from typing import Any

import grpc
from google.protobuf import empty_pb2  # type: ignore[import-untyped, unused-ignore]
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

from ome_mcp_components.offline.analyzer.protocol import GRPC_OPTIONS


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


class LogEngine:
    """The engine server on a free local port, writing the pack's log lines to ``log``."""

    def __init__(self, log: list[str]) -> None:
        self._pool = futures.ThreadPoolExecutor(max_workers=2)
        self._server = grpc.server(self._pool, options=GRPC_OPTIONS)
        engine_pb2_grpc.add_EngineServicer_to_server(_Engine(log), self._server)
        self.address = f"127.0.0.1:{self._server.add_insecure_port('127.0.0.1:0')}"
        self._server.start()

    def stop(self) -> None:
        """Stop serving at once (the pack is gone by then)."""
        self._server.stop(grace=None)
        self._pool.shutdown(wait=False)
