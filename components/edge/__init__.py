"""Cloudflare in front of the CDN tier: platform-independent, the same on every target."""
