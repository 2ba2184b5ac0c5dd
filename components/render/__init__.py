"""Pure renderers: typed settings in, configuration file text out (no Pulumi import)."""
