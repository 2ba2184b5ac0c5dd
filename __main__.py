"""The TechNovaStore scaling layer: validated stack settings in, one Platform out."""

import pulumi

from components.deployment import deployable_settings
from components.kubernetes.provider import cluster_provider
from components.platform import Platform

settings = deployable_settings()
# A Swarm stack's resources go through the docker provider (DOCKER_HOST); no cluster.
providers = [cluster_provider("kubernetes", settings)] if settings.platform == "kubernetes" else []
platform = Platform("technovastore", settings, opts=pulumi.ResourceOptions(providers=providers))
for output_name, value in platform.stack_outputs().items():
    pulumi.export(output_name, value)
