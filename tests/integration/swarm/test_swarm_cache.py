"""The stand-in product service reads through the project's cache library from the Redis Cluster."""

from __future__ import annotations

import json
import secrets

import pytest

from tests.integration.swarm.conftest import Deployment

pytestmark = pytest.mark.integration
PRODUCTS = 100
REQUESTS = 600
# Run inside the stack's network: a bounded, seeded Zipf load (a few products are most of the
# traffic, as in a shop), printing where each answer came from (cache or the slow database).
ZIPF_LOAD = """
import json, random, sys, urllib.request
base, products, requests, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = random.Random(seed)
ids = [f"{seed}-{n}" for n in range(products)]
weights = [1 / (rank + 1) ** 1.1 for rank in range(products)]
chosen = rng.choices(ids, weights, k=requests)
sources = []
for product in chosen:
    with urllib.request.urlopen(f"{base}/api/products/{product}", timeout=10) as response:
        sources.append(json.load(response)["source"])
print(json.dumps({"sources": sources, "distinct": len(set(chosen))}))
"""


def hit_ratio(sources: list[str]) -> float:
    return sources.count("cache") / len(sources)


def test_the_product_service_hit_ratio_rises_under_a_zipf_load(deployment: Deployment) -> None:
    product = deployment.outputs["services"]["product-service"]
    base = f"http://{product['host']}:{product['port']}"
    seed = secrets.token_hex(4)  # fresh product ids: nothing of them is cached yet
    finished = deployment.run_on_network(
        ["python3", "-c", ZIPF_LOAD, base, str(PRODUCTS), str(REQUESTS), seed], timeout=300
    )
    assert finished.exit_code == 0, finished.stderr[-2000:]
    result = json.loads(finished.stdout)
    sources = result["sources"]
    thirds = [sources[i * REQUESTS // 3 : (i + 1) * REQUESTS // 3] for i in range(3)]
    ratios = [hit_ratio(third) for third in thirds]
    # A new product is loaded once (a miss), then served from Redis: the ratio climbs.
    assert ratios[0] < ratios[2] and ratios[2] > 0.85, ratios
    # Each product came from the database exactly once, every later read from the cache.
    assert sources.count("database") == result["distinct"]
