#!/usr/bin/python3
"""Independent reference of the Wan2.1 VAE decoder (spec section 3), float64, written in the
spec's whole-sequence form (no chunks, no caches): causal convs with two zero frames in front;
upsample3d passes frame 0 through and runs its temporal conv over frames 1.. with zero history.
Reads a VAE safetensors file (official names) and `z` [B, z, T, h, w] (already in VAE units);
writes `video` [B, 3, 4(T-1)+1, 8h, 8w] clamped to [-1, 1].

usage: wan_vae_reference.py --model vae.safetensors --in in.safetensors --out out.safetensors"""
import argparse
import math
import os
import sys

import torch
import torch.nn.functional as Fn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_lite  # noqa: E402

F = torch.float64


def causal(x, w, b):
    kt, kh, kw = w.shape[2:]
    x = Fn.pad(x, (kw // 2, kw // 2, kh // 2, kh // 2, kt - 1, 0))
    return Fn.conv3d(x, w, b)


def rms(x, gamma):
    return x / x.norm(dim=1, keepdim=True).clamp_min(1e-12) * math.sqrt(x.shape[1]) * gamma


def res(W, p, x):
    skip = Fn.conv3d(x, W[p + "shortcut.weight"], W[p + "shortcut.bias"]) \
        if p + "shortcut.weight" in W else x
    h = causal(Fn.silu(rms(x, W[p + "residual.0.gamma"])), W[p + "residual.2.weight"],
               W[p + "residual.2.bias"])
    h = causal(Fn.silu(rms(h, W[p + "residual.3.gamma"])), W[p + "residual.6.weight"],
               W[p + "residual.6.bias"])
    return h + skip


def attn(W, p, x):
    b, c, t, h, w = x.shape
    out = []
    for f in range(t):
        y = rms(x[:, :, f], W[p + "norm.gamma"])
        qkv = Fn.conv2d(y, W[p + "to_qkv.weight"], W[p + "to_qkv.bias"]).flatten(2)  # [b, 3c, hw]
        q, k, v = qkv[:, :c], qkv[:, c:2 * c], qkv[:, 2 * c:]
        a = torch.softmax(q.transpose(1, 2) @ k / math.sqrt(c), dim=-1)           # [b, hw, hw]
        o = (a @ v.transpose(1, 2)).transpose(1, 2).reshape(b, c, h, w)
        out.append(Fn.conv2d(o, W[p + "proj.weight"], W[p + "proj.bias"]))
    return torch.stack(out, 2) + x


def spatial_up(W, p, x):
    frames = []
    for f in range(x.shape[2]):
        y = Fn.interpolate(x[:, :, f], scale_factor=2, mode="nearest")
        frames.append(Fn.conv2d(y, W[p + "resample.1.weight"], W[p + "resample.1.bias"], padding=1))
    return torch.stack(frames, 2)


def temporal_up(W, p, x):
    if x.shape[2] == 1:
        return x
    rest = causal(x[:, :, 1:], W[p + "time_conv.weight"], W[p + "time_conv.bias"])  # [b, 2c, T-1]
    c = x.shape[1]
    frames = [x[:, :, :1]]
    for k in range(rest.shape[2]):
        frames += [rest[:, :c, k:k + 1], rest[:, c:, k:k + 1]]
    return torch.cat(frames, 2)


def decode(W, z):
    x = Fn.conv3d(z, W["conv2.weight"], W["conv2.bias"])
    x = causal(x, W["decoder.conv1.weight"], W["decoder.conv1.bias"])
    x = res(W, "decoder.middle.0.", x)
    x = attn(W, "decoder.middle.1.", x)
    x = res(W, "decoder.middle.2.", x)
    for i in range(15):
        p = "decoder.upsamples.%d." % i
        if p + "resample.1.weight" in W:
            if p + "time_conv.weight" in W:
                x = temporal_up(W, p, x)
            x = spatial_up(W, p, x)
        else:
            x = res(W, p, x)
    x = causal(Fn.silu(rms(x, W["decoder.head.0.gamma"])), W["decoder.head.2.weight"],
               W["decoder.head.2.bias"])
    return x.clamp(-1, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--in", dest="inp", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    W = {k: v.to(F) for k, v in safetensors_lite.load(a.model).items()}
    z = safetensors_lite.load(a.inp)["z"].to(F)
    with torch.no_grad():
        video = decode(W, z)
    safetensors_lite.save(a.out, {"video": video.to(torch.float32)})


if __name__ == "__main__":
    main()
