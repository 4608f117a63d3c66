"""deploykit: one deployment spec, compiled for Compose, Kubernetes, Nomad and a Dockerfile."""

__version__ = "0.1.0"
