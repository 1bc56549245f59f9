"""The keys under which ConfigMaps hold what the components and the gateway read.

The OEP's spellings, which the ToolHive operator uses too: a permission profile is JSON
under ``permissions.json``, an authorization configuration under ``authz.json`` (each the
default of a reference's ``key``), and the gateway's RunConfig under ``runconfig.json``.
"""

from __future__ import annotations

#: Default key of a permission profile ConfigMap (and the only one a PermissionProfile
#: component writes).
PROFILE_KEY = "permissions.json"
#: Default key of an authorization configuration ConfigMap (``cedarv1``).
AUTHZ_KEY = "authz.json"
#: Key of the gateway's RunConfig in ConfigMap ``<n>-gateway``.
RUN_CONFIG_KEY = "runconfig.json"
#: Default key of an OIDC configuration ConfigMap.
OIDC_KEY = "oidc.json"
