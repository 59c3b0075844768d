#!/usr/bin/python3
"""Independent reference of the umT5 encoder (spec section 2.2-2.4), float64. Reads a umT5
safetensors file with Hugging Face names and the inputs of `kino models run text_encoder`
(ids [B, L], mask [B, L]); writes context [B, L, d_model] with zero rows at padding.

usage: umt5_reference.py --model umt5.safetensors --in in.safetensors --out out.safetensors"""
import argparse
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_lite  # noqa: E402

F = torch.float64


def bucket(r, num_buckets=32, max_distance=128):
    """Bidirectional T5 bucket of relative position r = key - query."""
    half = num_buckets // 2
    b = half if r > 0 else 0
    a = abs(r)
    exact = half // 2
    if a < exact:
        return b + a
    return b + min(half - 1, exact + int(math.log(a / exact) / math.log(max_distance / exact)
                                         * (half - exact)))


def t5_norm(x, w):
    return w * x / torch.sqrt((x * x).mean(-1, keepdim=True) + 1e-6)


def gelu_tanh(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def encode(w, ids, mask):
    b, n = ids.shape
    layers = 1 + max(int(k.split(".")[2]) for k in w if k.startswith("encoder.block."))
    x = w["shared.weight"][ids]
    table = torch.tensor([[bucket(j - i) for j in range(n)] for i in range(n)])
    neg = torch.zeros(b, 1, 1, n, dtype=F).masked_fill(mask[:, None, None, :] == 0, -math.inf)
    for i in range(layers):
        p = "encoder.block.%d.layer." % i
        a = p + "0.SelfAttention."
        rel = w[a + "relative_attention_bias.weight"]          # [buckets, heads]
        heads = rel.shape[1]
        y = t5_norm(x, w[p + "0.layer_norm.weight"])
        q, k, v = (y @ w[a + c + ".weight"].t() for c in "qkv")
        d = q.shape[-1] // heads
        q, k, v = (t.view(b, n, heads, d).transpose(1, 2) for t in (q, k, v))
        bias = rel[table].permute(2, 0, 1)[None]                # [1, heads, n, n]
        att = torch.softmax(q @ k.transpose(-1, -2) + bias + neg, dim=-1)
        o = (att @ v).transpose(1, 2).reshape(b, n, heads * d)
        x = x + o @ w[a + "o.weight"].t()
        f = p + "1.DenseReluDense."
        y = t5_norm(x, w[p + "1.layer_norm.weight"])
        y = gelu_tanh(y @ w[f + "wi_0.weight"].t()) * (y @ w[f + "wi_1.weight"].t())
        x = x + y @ w[f + "wo.weight"].t()
    x = t5_norm(x, w["encoder.final_layer_norm.weight"])
    return x * (mask[..., None] != 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--in", dest="inp", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    w = {k: v.to(F) for k, v in safetensors_lite.load(a.model).items()}
    t = safetensors_lite.load(a.inp)
    ids = t["ids"].long()
    mask = t["mask"].long() if "mask" in t else torch.ones_like(ids)
    with torch.no_grad():
        ctx = encode(w, ids, mask)
    safetensors_lite.save(a.out, {"context": ctx.to(torch.float32)})


if __name__ == "__main__":
    main()
