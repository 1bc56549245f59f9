"""The environment of a real Pulumi run: local state, no downloads, the toolchain's plugins.

``environment(home, bin_dir, kubeconfig)`` returns the variables a run needs:

- ``PULUMI_HOME`` (plugins, workspace settings) and ``PULUMI_BACKEND_URL=file://...``
  (the stack state) under ``home``, so nothing touches ``~/.pulumi`` or a Pulumi Cloud
  account; ``PULUMI_CONFIG_PASSPHRASE`` empty (the file backend's secrets provider);
- ``PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true`` and ``PULUMI_SKIP_UPDATE_CHECK``:
  a plugin the toolchain did not provide is an error, not a download;
- ``PATH`` with the toolchain first (``pulumi`` and the plugins);
- ``KUBECONFIG``: the provider's default cluster.

``install_provider(env)`` installs the toolchain's ``pulumi-resource-kubernetes`` into
``$PULUMI_HOME/plugins`` as version ``KUBERNETES_PROVIDER_VERSION`` with ``pulumi plugin
install --file``, the CLI's own way to install a local build.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from devtools.toolchain import ENV_VAR, KUBERNETES_PROVIDER_VERSION


def environment(home: Path, bin_dir: Path, kubeconfig: Path | None) -> dict[str, str]:
    home.mkdir(parents=True, exist_ok=True)
    state = home / "state"
    state.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update({
        ENV_VAR: str(bin_dir),
        "PULUMI_HOME": str(home / "pulumi-home"),
        "PULUMI_BACKEND_URL": f"file://{state}",
        "PULUMI_CONFIG_PASSPHRASE": "",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_SKIP_CONFIRMATIONS": "true",
        "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
        "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
    })
    if kubeconfig is not None:
        env["KUBECONFIG"] = str(kubeconfig)
    return env


def install_provider(env: dict[str, str]) -> None:
    bin_dir = Path(env[ENV_VAR])
    plugin = (
        Path(env["PULUMI_HOME"]) / "plugins"
        / f"resource-kubernetes-v{KUBERNETES_PROVIDER_VERSION}" / "pulumi-resource-kubernetes"
    )
    if plugin.exists():
        return
    subprocess.run(
        [str(bin_dir / "pulumi"), "plugin", "install", "resource", "kubernetes",
         f"v{KUBERNETES_PROVIDER_VERSION}", "--file", str(bin_dir / "pulumi-resource-kubernetes")],
        env=env, check=True, capture_output=True, text=True,
    )
