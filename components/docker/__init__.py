"""The plain Docker target (`platform: docker`): pulumi_docker Containers on one engine."""
