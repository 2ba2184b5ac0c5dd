"""TechNovaStore scaling infrastructure: settings, renderers and Pulumi components."""
