"""The Kubernetes target: the platform-neutral settings translated into Kubernetes objects."""
