"""Pure renderers: settings in, config file text out. No Pulumi import here."""
