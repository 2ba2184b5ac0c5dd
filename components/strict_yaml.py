"""A YAML loader that refuses duplicate mapping keys instead of silently keeping the last one.

PyYAML's SafeLoader keeps the last of two equal keys; the Kubernetes API server and
`kubectl` refuse such documents, and a stack file with a key twice is a mistake to report.
"""

from __future__ import annotations

from typing import Any

import yaml


class StrictSafeLoader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is defined more than once", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)
