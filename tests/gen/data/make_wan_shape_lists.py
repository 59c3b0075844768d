#!/usr/bin/env python3
"""Writes the metadata-only tensor lists (names, dtypes, shapes; no weights) of the released
Wan DiTs, from the tables of the architecture spec (official names, section 5.2; diffusers
renames, section 5.3). The C++ tests check that config detection reads the right
configuration from them. Run from this folder: python3 make_wan_shape_lists.py"""
import json

MODELS = {
    # file stem: (dim, ffn, layers, in, out, dtype as the released file stores it)
    "wan2.1_t2v_1.3B": (1536, 8960, 30, 16, 16, "F16"),
    "wan2.2_ti2v_5B": (3072, 14336, 30, 48, 48, "F32"),
}


def official(dim, ffn, layers, cin, cout):
    t = {}

    def lin(name, o, i):
        t[name + ".weight"] = [o, i]
        t[name + ".bias"] = [o]

    t["patch_embedding.weight"] = [dim, cin, 1, 2, 2]
    t["patch_embedding.bias"] = [dim]
    lin("text_embedding.0", dim, 4096)
    lin("text_embedding.2", dim, dim)
    lin("time_embedding.0", dim, 256)
    lin("time_embedding.2", dim, dim)
    lin("time_projection.1", 6 * dim, dim)
    for n in range(layers):
        b = "blocks.%d." % n
        t[b + "modulation"] = [1, 6, dim]
        for a in ("self_attn", "cross_attn"):
            for p in "qkvo":
                lin(b + a + "." + p, dim, dim)
            t[b + a + ".norm_q.weight"] = [dim]
            t[b + a + ".norm_k.weight"] = [dim]
        t[b + "norm3.weight"] = [dim]
        t[b + "norm3.bias"] = [dim]
        lin(b + "ffn.0", ffn, dim)
        lin(b + "ffn.2", dim, ffn)
    t["head.modulation"] = [1, 2, dim]
    lin("head.head", 4 * cout, dim)
    return t


TOP = [("time_embedding.0", "condition_embedder.time_embedder.linear_1"),
       ("time_embedding.2", "condition_embedder.time_embedder.linear_2"),
       ("time_projection.1", "condition_embedder.time_proj"),
       ("text_embedding.0", "condition_embedder.text_embedder.linear_1"),
       ("text_embedding.2", "condition_embedder.text_embedder.linear_2"),
       ("head.modulation", "scale_shift_table"),
       ("head.head", "proj_out")]
BLOCK = [("modulation", "scale_shift_table"),
         ("self_attn.q", "attn1.to_q"), ("self_attn.k", "attn1.to_k"),
         ("self_attn.v", "attn1.to_v"), ("self_attn.o", "attn1.to_out.0"),
         ("self_attn.norm_q", "attn1.norm_q"), ("self_attn.norm_k", "attn1.norm_k"),
         ("cross_attn.q", "attn2.to_q"), ("cross_attn.k", "attn2.to_k"),
         ("cross_attn.v", "attn2.to_v"), ("cross_attn.o", "attn2.to_out.0"),
         ("cross_attn.norm_q", "attn2.norm_q"), ("cross_attn.norm_k", "attn2.norm_k"),
         ("norm3", "norm2"), ("ffn.0", "ffn.net.0.proj"), ("ffn.2", "ffn.net.2")]


def diffusers_name(name):
    for o, d in TOP:
        if name == o or name.startswith(o + "."):
            return d + name[len(o):]
    if name.startswith("blocks."):
        head, rest = name.split(".", 2)[:2], name.split(".", 2)[2]
        for o, d in BLOCK:
            if rest == o or rest.startswith(o + "."):
                return ".".join(head) + "." + d + rest[len(o):]
    return name


def dump(path, tensors, dtype):
    with open(path, "w") as f:
        json.dump({k: {"dtype": dtype, "shape": v} for k, v in sorted(tensors.items())}, f,
                  separators=(",", ":"))
        f.write("\n")


for stem, (dim, ffn, layers, cin, cout, dtype) in MODELS.items():
    t = official(dim, ffn, layers, cin, cout)
    dump(stem + ".json", t, dtype)
    dump(stem + "_diffusers.json", {diffusers_name(k): v for k, v in t.items()}, dtype)
