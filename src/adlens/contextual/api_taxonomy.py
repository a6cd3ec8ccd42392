"""Taxonomy endpoints (mounted under ``/api/v1`` by the contextual app's router).

- ``GET /taxonomies`` → the known versions (availability, node counts, segtax, licence)
- ``GET /taxonomies/{version}`` → info and tier-1 nodes
- ``GET /taxonomies/{version}/nodes/{node_id}`` → one node with ancestors and children
- ``GET /taxonomies/{version}/search?q=&k=&lexical=`` → nodes by name/path and by meaning
- ``GET /taxonomies/{version}/map/{node_id}?to=`` → the node in another IAB content version
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from adlens.api.deps import get_runtime
from adlens.contextual.taxonomy import DEFAULT_VERSION, list_taxonomies, load_taxonomy
from adlens.runtime import Runtime

__all__ = ["router"]

router = APIRouter(tags=["contextual"])


@router.get("/taxonomies")
def taxonomies() -> dict[str, Any]:
    return {"default": DEFAULT_VERSION, "taxonomies": list_taxonomies()}


@router.get("/taxonomies/{version}")
def taxonomy(version: str) -> dict[str, Any]:
    return load_taxonomy(version).summary()


@router.get("/taxonomies/{version}/nodes/{node_id}")
def taxonomy_node(version: str, node_id: str) -> dict[str, Any]:
    return load_taxonomy(version).detail(node_id)


@router.get("/taxonomies/{version}/search")
async def taxonomy_search(
    version: str,
    q: str = Query(..., min_length=1, max_length=500, description="Words to look for."),
    k: int = Query(10, ge=1, le=200),
    lexical: bool = Query(False, description="Name/path matches only (no embedding model)."),
    runtime: Runtime = Depends(get_runtime),
) -> dict[str, Any]:
    from adlens.contextual.nodes import search_nodes

    tax = load_taxonomy(version)
    if lexical:
        hits = search_nodes(tax, q, k=k)
    else:
        hits = await run_in_threadpool(
            search_nodes, tax, q, embedder=runtime.text_embedder, cache_dir=runtime.settings.cache_dir, k=k
        )
    return {"version": tax.version, "query": q, "results": hits}


@router.get("/taxonomies/{version}/map/{node_id}")
def taxonomy_map(version: str, node_id: str, to: str = Query(DEFAULT_VERSION)) -> dict[str, Any]:
    from adlens.contextual.mappings import map_node

    ids = map_node(node_id, version, to)
    target = load_taxonomy(to)
    return {
        "source": version,
        "target": target.version,
        "id": node_id,
        "mapped": [target.get(i).to_dict() for i in ids],
    }
