"""The TechNovaStore scaling layer: validated stack settings in, one Platform out."""

import pulumi

from components.platform import Platform
from components.settings.pulumi_config import stack_settings

platform = Platform("technovastore", stack_settings())
for output_name, value in platform.stack_outputs().items():
    pulumi.export(output_name, value)
