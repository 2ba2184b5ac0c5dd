"""The offline preview: the real program evaluated under Pulumi's mock runtime."""
