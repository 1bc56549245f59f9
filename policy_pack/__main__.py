"""The ome-mcp CrossGuard policy pack.

Run by the Pulumi CLI (``pulumi preview --policy-pack policy_pack``) or offline by
``ome-mcp preview``, both through ``python -m pulumi.policy <engine> <this directory>``.
The policies and their default enforcement levels are in ``ome_mcp_policy``; levels and
settings are changed with a policy config file (see README.md).
"""

from ome_mcp_policy import POLICIES
from ome_mcp_policy._reuse import install
from pulumi_policy import PolicyPack

install()  # convert each resource's properties once per call, not once per policy
PolicyPack(name="ome-mcp-security", policies=POLICIES)
