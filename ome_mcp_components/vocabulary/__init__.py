"""The names and wire-format rules the library, the policy pack and the offline tools share
(layer 0: below everything, importing nothing of the package).

Each concept is defined here once and imported by every side, so that the components, the
pack (``policy_pack/ome_mcp_policy``) and the offline engine can never disagree on a type
token, a ConfigMap key, a label or how a value arrives over Pulumi's wire. Nothing here
imports Pulumi, pydantic or anything outside the standard library: the pack and the
engine import it without pulling in the components.

* ``tokens``: the components' Pulumi type tokens and the Kubernetes ones we look for.
* ``keys``: the ConfigMap keys of a profile, an authz configuration and a RunConfig.
* ``labels``: the labels every object carries and the selectors built from them.
* ``names``: every derived Kubernetes object name.
* ``defaults``: the values the OEP leaves to us (namespaces, resources, the gateway
  image), each with its reason.
* ``servers``: which servers have a gateway, the one topology rule both sides apply.
* ``wire``: property values as they arrive over Pulumi's gRPC wire, made plain again.
"""
