"""The policy pack program: the Pulumi CLI runs this file (``--policy-pack policies``).

It only builds the PolicyPack, which starts the analyzer's gRPC server and blocks, so the
rules live in policies/rules/ and nothing imports this module (tools use policies.offline).
"""

import sys
from pathlib import Path

# The CLI runs this file from inside policies/, with only that folder on sys.path; the rules
# import `policies.*` and the shared image parser from `components/`, so put the project
# root on the path instead of copying that code into the pack.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.rules import ALL_POLICIES

if __name__ == "__main__":
    PolicyPack(
        name="technovastore-policies",
        policies=ALL_POLICIES,
        enforcement_level=EnforcementLevel.MANDATORY,
        description=(
            "TechNovaStore: restricted pods, sound autoscaling, private Redis, a hardened CDN and edge."
        ),
    )
