"""The benchmark's baseline policy pack: one resource policy that never reports anything.

``bench/run.py`` sends the same ``Analyze``/``AnalyzeStack`` calls to this pack and to
``policy_pack/``; the difference is the cost of our policies, not of the protocol.
"""

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)


def _nothing(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """Accept every resource."""


PolicyPack(
    name="bench-empty",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[
        ResourceValidationPolicy(
            name="accept-everything",
            description="Checks nothing: the baseline of the policy-pack benchmark.",
            validate=_nothing,
        )
    ],
)
