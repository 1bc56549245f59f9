"""The plan: a component's arguments checked and its references resolved, before anything
is registered (layer 2, above ``models``, below ``builders``).

- ``arguments``: the arguments of a component (keys, names, namespace, options) checked;
- ``context``: what the builders see: ``ServerShape`` (decides the objects), ``Known``
  (each setting resolved or still to read), ``ServerContext`` (shape and settings);
- ``resolve``: ``plan_server`` / ``plan_profile``, and ``settle``, the one path by which
  profile, OIDC and authz references resolve, at plan time or inside a read's ``apply``;
- ``profiles``, ``auth``: permission profiles; OIDC and Cedar settings and their checks;
- ``egress``: what a profile and the gateway's settings let each side reach;
- ``warnings``: every warning a server raises.
"""
