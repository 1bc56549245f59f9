"""The offline tools: what runs a Pulumi program without the Pulumi CLI or a cluster,
and what reads the result. Apart from the library: a Pulumi program that imports the
components loads none of this (``tests/test_import_boundary.py``).

- ``engine``: runs a program in-process under a recording mock monitor (``run_program``);
- ``recording``: what it records (``Recording``, ``RecordedResource``);
- ``values``: protobuf ``Struct``/``Value`` and plain data, the one conversion of the
  engine and the policy-pack client;
- ``analyzer``: runs a CrossGuard policy pack over a recording, as the CLI does;
- ``cli``: ``ome-mcp render`` / ``preview`` / ``convert``.
"""
