"""The Swarm autoscaler: the Kubernetes HorizontalPodAutoscaler's algorithm for Docker Swarm services."""
